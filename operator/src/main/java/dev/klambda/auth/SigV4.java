package dev.klambda.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * AWS Signature Version 4 in the {@code Authorization} header, as the AWS SDKs and CLI send it,
 * verified exactly: the canonical request rebuilt from what arrived (path encoded twice, as for
 * every service but S3; query and signed headers canonicalised; the body's SHA-256), the credential
 * scope (its date, the gateway's region, service {@code lambda}) and at most 15 minutes between the
 * request's time and the gateway's clock. Signing keys are cached per key and day.
 */
public final class SigV4 {
  public static final String ALGORITHM = "AWS4-HMAC-SHA256";
  private static final String SERVICE = "lambda";
  private static final Duration SKEW = Duration.ofMinutes(15);
  private static final DateTimeFormatter BASIC =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern SPACES = Pattern.compile("\\s+");
  private static final HexFormat HEX = HexFormat.of();

  private record Scope(AccessKey key, String date) {}

  private final AccessKeys keys;
  private final String region;
  private final Clock clock;
  private final Cache<Scope, byte[]> signingKeys =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterAccess(Duration.ofDays(2)).build();

  public SigV4(AccessKeys keys, String region, Clock clock) {
    this.keys = keys;
    this.region = region;
    this.clock = clock;
  }

  /** Whether the request is signed this way (whether or not correctly). */
  public static boolean signs(AuthRequest request) {
    String authorization = request.header("Authorization");
    return authorization != null && authorization.startsWith(ALGORITHM);
  }

  /** The key that signed the request. */
  public AccessKey verify(AuthRequest request) throws Refusal {
    String authorization = request.header("Authorization");
    Parsed parsed = Parsed.of(authorization);
    if (request.header("X-Amz-Security-Token") != null) {
      throw Refusal.temporaryCredentials();
    }
    AccessKey key = keys.find(parsed.accessKeyId);
    if (key == null) {
      throw Refusal.unknownKey(parsed.accessKeyId);
    }
    Instant time = requestTime(request);
    String amzDate = BASIC.format(time);
    if (!parsed.date.equals(amzDate.substring(0, 8))) {
      throw Refusal.badSignature(
          "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
              + "from HTTP: '"
              + parsed.date
              + "' != '"
              + amzDate.substring(0, 8)
              + "', from '"
              + amzDate
              + "'.");
    }
    if (!parsed.region.equals(region)) {
      throw Refusal.badSignature(
          "Credential should be scoped to a valid region, not '"
              + parsed.region
              + "'. This gateway's region is '"
              + region
              + "'.");
    }
    if (!parsed.service.equals(SERVICE)) {
      throw Refusal.badSignature(
          "Credential should be scoped to correct service: '" + SERVICE + "'.");
    }
    if (!parsed.terminator.equals("aws4_request")) {
      throw Refusal.badSignature(
          "Credential should be scoped with a valid terminator: 'aws4_request', not '"
              + parsed.terminator
              + "'.");
    }
    checkSkew(time, amzDate);
    if (!parsed.signedHeaders.contains("host")) {
      throw Refusal.badSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }
    String canonical = canonicalRequest(request, parsed.signedHeaders);
    String stringToSign =
        ALGORITHM
            + "\n"
            + amzDate
            + "\n"
            + parsed.date
            + "/"
            + parsed.region
            + "/"
            + SERVICE
            + "/aws4_request\n"
            + HEX.formatHex(Digests.sha256(canonical.getBytes(StandardCharsets.UTF_8)));
    byte[] expected = Digests.hmacSha256(signingKey(key, parsed.date), stringToSign);
    byte[] given;
    try {
      given = HEX.parseHex(parsed.signature);
    } catch (IllegalArgumentException e) {
      given = new byte[0];
    }
    if (!MessageDigest.isEqual(expected, given)) {
      throw Refusal.badSignature(
          "The request signature we calculated does not match the signature you provided. "
              + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    }
    return key;
  }

  private void checkSkew(Instant time, String amzDate) throws Refusal {
    Instant now = clock.instant();
    if (time.isBefore(now.minus(SKEW))) {
      throw Refusal.expired(
          "Signature expired: "
              + amzDate
              + " is now earlier than "
              + BASIC.format(now.minus(SKEW))
              + " ("
              + BASIC.format(now)
              + " - 15 min.)");
    }
    if (time.isAfter(now.plus(SKEW))) {
      throw Refusal.expired(
          "Signature not yet current: "
              + amzDate
              + " is still later than "
              + BASIC.format(now.plus(SKEW))
              + " ("
              + BASIC.format(now)
              + " + 15 min.)");
    }
  }

  private static Instant requestTime(AuthRequest request) throws Refusal {
    String amzDate = request.header("X-Amz-Date");
    try {
      if (amzDate != null) {
        return Instant.from(BASIC.parse(amzDate.trim()));
      }
      String date = request.header("Date");
      if (date != null) {
        return Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(date.trim()));
      }
    } catch (DateTimeParseException e) {
      throw Refusal.malformed(
          "X-Amz-Date must be an ISO-8601 basic time such as 20261205T120000Z (got '"
              + amzDate
              + "')");
    }
    throw Refusal.malformed(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }

  /** AWS's canonical request of what arrived. */
  static String canonicalRequest(AuthRequest request, List<String> signedHeaders) throws Refusal {
    StringBuilder canonical =
        new StringBuilder(256)
            .append(request.method())
            .append('\n')
            .append(encode(normalize(request.rawPath()), false))
            .append('\n')
            .append(canonicalQuery(request.rawQuery()))
            .append('\n');
    for (String name : signedHeaders) {
      canonical.append(name).append(':');
      List<String> values = request.headerValues(name);
      for (int i = 0; i < values.size(); i++) {
        if (i > 0) {
          canonical.append(',');
        }
        canonical.append(SPACES.matcher(values.get(i).trim()).replaceAll(" "));
      }
      canonical.append('\n');
    }
    canonical.append('\n').append(String.join(";", signedHeaders)).append('\n');
    String bodyHash = HEX.formatHex(Digests.sha256(request.bodyParts()));
    String declared = request.header("X-Amz-Content-Sha256");
    if (declared != null && !declared.trim().equalsIgnoreCase(bodyHash)) {
      throw Refusal.badSignature(
          "X-Amz-Content-Sha256 must be the SHA-256 of the body (unsigned payloads are not "
              + "accepted by the Invoke API)");
    }
    return canonical.append(bodyHash).toString();
  }

  /**
   * The path without {@code .} and {@code ..} segments, as the SDKs normalise it before signing.
   */
  private static String normalize(String path) {
    if (path == null || path.isEmpty()) {
      return "/";
    }
    if (!path.contains("/.")) {
      return path;
    }
    List<String> segments = new ArrayList<>();
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..")) {
        if (!segments.isEmpty()) {
          segments.remove(segments.size() - 1);
        }
      } else if (!segment.equals(".")) {
        segments.add(segment);
      }
    }
    String joined = String.join("/", segments);
    return joined.startsWith("/") ? joined : "/" + joined;
  }

  private static String canonicalQuery(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    List<String[]> pairs = new ArrayList<>();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      pairs.add(new String[] {encode(decode(name), true), encode(decode(value), true)});
    }
    pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
    StringBuilder query = new StringBuilder();
    for (String[] pair : pairs) {
      if (!query.isEmpty()) {
        query.append('&');
      }
      query.append(pair[0]).append('=').append(pair[1]);
    }
    return query.toString();
  }

  /** AWS's URI encoding: unreserved characters kept, every other byte %XX (upper case). */
  static String encode(String text, boolean slashToo) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~'
          || (c == '/' && !slashToo)) {
        out.append(c);
      } else {
        out.append('%')
            .append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** Percent-escapes decoded; a {@code +} stays a plus, as AWS's clients encode a space as %20. */
  private static String decode(String text) {
    if (text.indexOf('%') < 0) {
      return text;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%' && i + 2 < text.length()) {
        int hi = Character.digit(text.charAt(i + 1), 16);
        int lo = Character.digit(text.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          out.write(hi << 4 | lo);
          i += 2;
          continue;
        }
      }
      byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
      out.write(bytes, 0, bytes.length);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private byte[] signingKey(AccessKey key, String date) {
    return signingKeys.get(
        new Scope(key, date),
        scope -> {
          byte[] dated =
              Digests.hmacSha256(
                  ("AWS4" + key.secretAccessKey()).getBytes(StandardCharsets.UTF_8), date);
          return Digests.hmacSha256(
              Digests.hmacSha256(Digests.hmacSha256(dated, region), SERVICE), "aws4_request");
        });
  }

  /** The parts of {@code AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...}. */
  private record Parsed(
      String accessKeyId,
      String date,
      String region,
      String service,
      String terminator,
      List<String> signedHeaders,
      String signature) {
    static Parsed of(String authorization) throws Refusal {
      String credential = null;
      String signedHeaders = null;
      String signature = null;
      for (String part : authorization.substring(ALGORITHM.length()).split(",")) {
        String item = part.trim();
        if (item.startsWith("Credential=")) {
          credential = item.substring("Credential=".length());
        } else if (item.startsWith("SignedHeaders=")) {
          signedHeaders = item.substring("SignedHeaders=".length());
        } else if (item.startsWith("Signature=")) {
          signature = item.substring("Signature=".length());
        }
      }
      StringBuilder missing = new StringBuilder();
      if (credential == null) {
        missing.append("Authorization header requires 'Credential' parameter. ");
      }
      if (signature == null) {
        missing.append("Authorization header requires 'Signature' parameter. ");
      }
      if (signedHeaders == null) {
        missing.append("Authorization header requires 'SignedHeaders' parameter. ");
      }
      if (!missing.isEmpty()) {
        throw Refusal.malformed(missing.toString().trim());
      }
      String[] scope = credential.split("/");
      if (scope.length != 5) {
        throw Refusal.malformed(
            "Credential must be ACCESS_KEY_ID/YYYYMMDD/REGION/lambda/aws4_request (got '"
                + credential
                + "')");
      }
      List<String> headers = List.of(signedHeaders.toLowerCase(Locale.ROOT).split(";"));
      return new Parsed(scope[0], scope[1], scope[2], scope[3], scope[4], headers, signature);
    }
  }
}
