package dev.klambda.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The secret the gateway replicas share (the chart keeps it in a Secret): tokens derived from it
 * prove that a request comes from a replica (a forwarded invocation, an event's copy) and, one per
 * environment, that an invocation comes from the gateway. Whoever lacks the key cannot make them.
 */
public final class PeerKey {
  private static final String PEER = "klambda-peer";
  private final byte[] key;
  private final String peerToken;
  private final boolean trusting;

  private PeerKey(byte[] key, boolean trusting) {
    this.key = key.clone();
    this.trusting = trusting;
    this.peerToken = token(PEER);
  }

  public static PeerKey of(String secret) {
    if (secret == null || secret.strip().length() < 16) {
      throw new IllegalArgumentException("the gateway key must be at least 16 characters");
    }
    return new PeerKey(secret.strip().getBytes(StandardCharsets.UTF_8), false);
  }

  /**
   * No key ({@code --auth none} without {@code --gateway-key-file}): every token is taken, as every
   * caller is; forwarded requests and event copies work as before authentication existed.
   */
  public static PeerKey trusting() {
    return new PeerKey(new byte[32], true);
  }

  /** A key of this process alone: one gateway (local mode). */
  public static PeerKey random() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return new PeerKey(key, false);
  }

  /** The token a replica sends to another. */
  public String peerToken() {
    return peerToken;
  }

  public boolean isPeerToken(String token) {
    if (trusting) {
      return token != null;
    }
    return token != null
        && MessageDigest.isEqual(
            peerToken.getBytes(StandardCharsets.US_ASCII),
            token.getBytes(StandardCharsets.US_ASCII));
  }

  /** The token of one environment (its Pod's name): the agent takes invocations that carry it. */
  public String environmentToken(String environment) {
    return token("environment:" + environment);
  }

  private String token(String purpose) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Digests.hmacSha256(key, purpose));
  }
}
