package dev.klambda.eventsources;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One entry of a leaf array in an {@link EventPattern}: an exact value or a one-key operator object.
 * The leaf matches when any of its entries matches any of the record's leaf values at that path.
 */
sealed interface ValueMatcher {
  /** Whether one leaf value of the record (never an object or array) matches. */
  boolean matches(JsonNode value);

  /** Whether the leaf values found at the path (none when the path is absent) match; only exists looks at all. */
  default boolean matchesAny(List<JsonNode> values) {
    return values.stream().anyMatch(this::matches);
  }

  /** Parses one entry of a leaf array; the message of the exception names the path and the rule. */
  static ValueMatcher parse(JsonNode entry, String path) {
    if (entry.isTextual() || entry.isNumber() || entry.isBoolean() || entry.isNull()) {
      return new Exact(entry);
    }
    if (!entry.isObject() || entry.size() != 1) {
      throw fail(path, "each value must be a string, number, boolean, null or an object with one operator"
          + " (got " + entry + ")");
    }
    Map.Entry<String, JsonNode> operator = entry.properties().iterator().next();
    JsonNode arg = operator.getValue();
    return switch (operator.getKey()) {
      case "prefix" -> new Prefix(ignoreCaseOr(arg, path, "prefix"), arg.isObject());
      case "suffix" -> new Suffix(ignoreCaseOr(arg, path, "suffix"), arg.isObject());
      case "equals-ignore-case" -> new EqualsIgnoreCase(text(arg, path, "equals-ignore-case"));
      case "wildcard" -> Wildcard.of(text(arg, path, "wildcard"), path);
      case "anything-but" -> AnythingBut.of(arg, path);
      case "numeric" -> Numeric.of(arg, path);
      case "exists" -> {
        if (!arg.isBoolean()) {
          throw fail(path, "exists needs true or false (got " + arg + ")");
        }
        yield new Exists(arg.booleanValue());
      }
      case "cidr" -> Cidr.of(text(arg, path, "cidr"), path);
      default -> throw fail(path, "unknown operator '" + operator.getKey() + "'");
    };
  }

  private static String text(JsonNode arg, String path, String operator) {
    if (!arg.isTextual()) {
      throw fail(path, operator + " needs a string (got " + arg + ")");
    }
    return arg.textValue();
  }

  /** {@code "x"} or {@code {"equals-ignore-case": "x"}}, as prefix and suffix take. */
  private static String ignoreCaseOr(JsonNode arg, String path, String operator) {
    if (arg.isObject() && arg.size() == 1 && arg.has("equals-ignore-case")) {
      return text(arg.get("equals-ignore-case"), path, operator + " equals-ignore-case");
    }
    if (!arg.isTextual()) {
      throw fail(path, operator + " needs a string or {\"equals-ignore-case\": string} (got " + arg + ")");
    }
    return arg.textValue();
  }

  static IllegalArgumentException fail(String path, String rule) {
    return new IllegalArgumentException(path + ": " + rule);
  }

  /** The same string, boolean or null; numbers compare by value, so 5 matches 5.0. */
  record Exact(JsonNode expected) implements ValueMatcher {
    @Override
    public boolean matches(JsonNode value) {
      if (expected.isNumber() && value.isNumber()) {
        return expected.decimalValue().compareTo(value.decimalValue()) == 0;
      }
      return expected.equals(value);
    }
  }

  record Prefix(String prefix, boolean ignoreCase) implements ValueMatcher {
    @Override
    public boolean matches(JsonNode value) {
      return value.isTextual() && value.textValue().regionMatches(ignoreCase, 0, prefix, 0, prefix.length());
    }
  }

  record Suffix(String suffix, boolean ignoreCase) implements ValueMatcher {
    @Override
    public boolean matches(JsonNode value) {
      String text = value.isTextual() ? value.textValue() : null;
      return text != null && text.length() >= suffix.length()
          && text.regionMatches(ignoreCase, text.length() - suffix.length(), suffix, 0, suffix.length());
    }
  }

  record EqualsIgnoreCase(String expected) implements ValueMatcher {
    @Override
    public boolean matches(JsonNode value) {
      return value.isTextual() && value.textValue().equalsIgnoreCase(expected);
    }
  }

  /** {@code *} matches any run of characters; {@code \*} is a literal star and {@code \\} a backslash. */
  record Wildcard(Pattern regex) implements ValueMatcher {
    static Wildcard of(String wildcard, String path) {
      StringBuilder regex = new StringBuilder();
      StringBuilder literal = new StringBuilder();
      for (int i = 0; i < wildcard.length(); i++) {
        char c = wildcard.charAt(i);
        if (c == '\\') {
          if (i + 1 == wildcard.length() || (wildcard.charAt(i + 1) != '*' && wildcard.charAt(i + 1) != '\\')) {
            throw fail(path, "wildcard allows only \\* and \\\\ as escapes (got '" + wildcard + "')");
          }
          literal.append(wildcard.charAt(++i));
        } else if (c == '*') {
          if (i > 0 && wildcard.charAt(i - 1) == '*') {
            throw fail(path, "wildcard must not have consecutive * (got '" + wildcard + "')");
          }
          regex.append(Pattern.quote(literal.toString())).append(".*");
          literal.setLength(0);
        } else {
          literal.append(c);
        }
      }
      regex.append(Pattern.quote(literal.toString()));
      return new Wildcard(Pattern.compile(regex.toString(), Pattern.DOTALL));
    }

    @Override
    public boolean matches(JsonNode value) {
      return value.isTextual() && regex.matcher(value.textValue()).matches();
    }
  }

  /** Present and none of the excluded values: a string, a number, a list of either, or one string operator. */
  record AnythingBut(List<ValueMatcher> excluded) implements ValueMatcher {
    static AnythingBut of(JsonNode arg, String path) {
      if (arg.isTextual() || arg.isNumber()) {
        return new AnythingBut(List.of(new Exact(arg)));
      }
      if (arg.isArray()) {
        boolean strings = arg.size() > 0 && arg.get(0).isTextual();
        List<ValueMatcher> excluded = new ArrayList<>();
        for (JsonNode value : arg) {
          if (strings ? !value.isTextual() : !value.isNumber()) {
            throw fail(path, "anything-but list must be all strings or all numbers (got " + arg + ")");
          }
          excluded.add(new Exact(value));
        }
        if (excluded.isEmpty()) {
          throw fail(path, "anything-but list must not be empty");
        }
        return new AnythingBut(excluded);
      }
      if (arg.isObject() && arg.size() == 1) {
        String operator = arg.properties().iterator().next().getKey();
        if (List.of("prefix", "suffix", "equals-ignore-case", "wildcard").contains(operator)) {
          JsonNode inner = arg.get(operator);
          if (operator.equals("equals-ignore-case") && inner.isArray() && inner.size() > 0) {
            List<ValueMatcher> excluded = new ArrayList<>();
            inner.forEach(value -> excluded.add(
                new EqualsIgnoreCase(text(value, path, "anything-but equals-ignore-case"))));
            return new AnythingBut(excluded);
          }
          if (!inner.isTextual()) {
            throw fail(path, "anything-but " + operator + " needs a string (got " + inner + ")");
          }
          return new AnythingBut(List.of(parse(arg, path)));
        }
      }
      throw fail(path, "anything-but needs a string, a number, a list of them, or one of prefix, suffix,"
          + " equals-ignore-case, wildcard (got " + arg + ")");
    }

    @Override
    public boolean matches(JsonNode value) {
      return excluded.stream().noneMatch(matcher -> matcher.matches(value));
    }
  }

  /** One comparison ({@code =} or a bound) or a lower and an upper bound; matches JSON numbers only. */
  record Numeric(List<String> operators, List<BigDecimal> bounds) implements ValueMatcher {
    private static final List<String> OPERATORS = List.of("=", "<", "<=", ">", ">=");

    static Numeric of(JsonNode arg, String path) {
      if (!arg.isArray() || (arg.size() != 2 && arg.size() != 4)) {
        throw fail(path, "numeric needs pairs of an operator and a number, one or two of them (got " + arg + ")");
      }
      List<String> operators = new ArrayList<>();
      List<BigDecimal> bounds = new ArrayList<>();
      for (int i = 0; i < arg.size(); i += 2) {
        if (!arg.get(i).isTextual() || !arg.get(i + 1).isNumber()) {
          throw fail(path, "numeric needs pairs of an operator and a number (got " + arg + ")");
        }
        if (!OPERATORS.contains(arg.get(i).textValue())) {
          throw fail(path, "numeric operators are =, <, <=, >, >= (got '" + arg.get(i).textValue() + "')");
        }
        operators.add(arg.get(i).textValue());
        bounds.add(arg.get(i + 1).decimalValue());
      }
      if (operators.size() == 2) {
        int lower = operators.get(0).startsWith(">") ? 0 : 1;
        if (operators.contains("=") || !operators.get(lower).startsWith(">")
            || !operators.get(1 - lower).startsWith("<")) {
          throw fail(path, "numeric with two comparisons needs one lower (>, >=) and one upper (<, <=) bound"
              + " (got " + arg + ")");
        }
        if (bounds.get(lower).compareTo(bounds.get(1 - lower)) > 0) {
          throw fail(path, "numeric lower bound must not be above the upper bound (got " + arg + ")");
        }
      }
      return new Numeric(List.copyOf(operators), List.copyOf(bounds));
    }

    @Override
    public boolean matches(JsonNode value) {
      if (!value.isNumber()) {
        return false;
      }
      BigDecimal number = value.decimalValue();
      for (int i = 0; i < operators.size(); i++) {
        int cmp = number.compareTo(bounds.get(i));
        boolean ok = switch (operators.get(i)) {
          case "=" -> cmp == 0;
          case "<" -> cmp < 0;
          case "<=" -> cmp <= 0;
          case ">" -> cmp > 0;
          default -> cmp >= 0;
        };
        if (!ok) {
          return false;
        }
      }
      return true;
    }
  }

  /** Whether the path has a leaf value: absent fields, objects and empty arrays have none. */
  record Exists(boolean exists) implements ValueMatcher {
    @Override
    public boolean matches(JsonNode value) {
      return exists;
    }

    @Override
    public boolean matchesAny(List<JsonNode> values) {
      return values.isEmpty() != exists;
    }
  }

  /** An IPv4 or IPv6 address string inside a block such as {@code 10.0.0.0/24}. */
  record Cidr(BigInteger network, int prefixLength, int bits) implements ValueMatcher {
    static Cidr of(String cidr, String path) {
      String[] parts = cidr.split("/", -1);
      byte[] address = parts.length == 2 && parts[1].matches("\\d{1,3}") ? address(parts[0]) : null;
      int prefixLength = address == null ? -1 : Integer.parseInt(parts[1]);
      if (address == null || prefixLength > address.length * 8) {
        throw fail(path, "cidr needs an IPv4 or IPv6 block such as 10.0.0.0/24 (got '" + cidr + "')");
      }
      int bits = address.length * 8;
      return new Cidr(new BigInteger(1, address).shiftRight(bits - prefixLength), prefixLength, bits);
    }

    @Override
    public boolean matches(JsonNode value) {
      byte[] address = value.isTextual() ? address(value.textValue()) : null;
      return address != null && address.length * 8 == bits
          && new BigInteger(1, address).shiftRight(bits - prefixLength).equals(network);
    }

    /** The bytes of an IP literal, or null; never a DNS lookup. */
    private static byte[] address(String text) {
      if (text.matches("(\\d{1,3})(\\.\\d{1,3}){3}")) {
        byte[] bytes = new byte[4];
        String[] octets = text.split("\\.");
        for (int i = 0; i < 4; i++) {
          int octet = Integer.parseInt(octets[i]);
          if (octet > 255) {
            return null;
          }
          bytes[i] = (byte) octet;
        }
        return bytes;
      }
      if (text.contains(":") && text.matches("[0-9A-Fa-f:.]+")) {
        try {
          byte[] bytes = InetAddress.getByName(text).getAddress(); // an IPv6 literal: parsed, not looked up
          return bytes.length == 16 ? bytes : null;
        } catch (UnknownHostException e) {
          return null;
        }
      }
      return null;
    }
  }
}
