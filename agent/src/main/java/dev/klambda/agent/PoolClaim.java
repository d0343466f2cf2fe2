package dev.klambda.agent;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What hands a warm-pool environment to a function: the agent's variables as for an environment
 * started for it ({@code KLAMBDA_*} and the function's own) and its code, file by file. The body of
 * {@code POST} {@link AgentProtocol#CLAIM_PATH}; public so the gateway encodes what the agent
 * decodes with one class.
 *
 * <p>Binary, length-prefixed: a variable's value or a file may hold any bytes, and the agent (JDK
 * only) needs no JSON parser for it.
 */
public record PoolClaim(Map<String, String> environment, Map<String, CodeFile> files) {
  /** Largest claim the agent reads: a ConfigMap holds at most 1 MiB, an inline manifest less. */
  public static final int MAX_BYTES = 16 * 1024 * 1024;

  private static final int MAGIC = 0x4b4c4331; // "KLC1"

  /** One file of the task root; executable files get mode 0555, others 0444. */
  public record CodeFile(byte[] content, boolean executable) {}

  public PoolClaim {
    environment = Map.copyOf(environment);
    files = Map.copyOf(files);
  }

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(environment.size());
      for (Map.Entry<String, String> variable : environment.entrySet()) {
        writeBytes(out, variable.getKey().getBytes(StandardCharsets.UTF_8));
        writeBytes(out, variable.getValue().getBytes(StandardCharsets.UTF_8));
      }
      out.writeInt(files.size());
      for (Map.Entry<String, CodeFile> file : files.entrySet()) {
        writeBytes(out, file.getKey().getBytes(StandardCharsets.UTF_8));
        out.writeBoolean(file.getValue().executable());
        writeBytes(out, file.getValue().content());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * @throws IOException when the body is not a claim
   */
  public static PoolClaim decode(InputStream body) throws IOException {
    DataInputStream in = new DataInputStream(body);
    if (in.readInt() != MAGIC) {
      throw new IOException("not a klambda pool claim");
    }
    Map<String, String> environment = new LinkedHashMap<>();
    for (int n = count(in); n > 0; n--) {
      environment.put(string(in), string(in));
    }
    Map<String, CodeFile> files = new LinkedHashMap<>();
    for (int n = count(in); n > 0; n--) {
      String path = string(in);
      boolean executable = in.readBoolean();
      files.put(path, new CodeFile(bytes(in), executable));
    }
    return new PoolClaim(environment, files);
  }

  private static void writeBytes(DataOutputStream out, byte[] value) throws IOException {
    out.writeInt(value.length);
    out.write(value);
  }

  private static int count(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 100_000) {
      throw new IOException("bad count in claim: " + n);
    }
    return n;
  }

  private static String string(DataInputStream in) throws IOException {
    return new String(bytes(in), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_BYTES) {
      throw new IOException("bad length in claim: " + length);
    }
    byte[] value = in.readNBytes(length);
    if (value.length != length) {
      throw new java.io.EOFException("claim ends early");
    }
    return value;
  }
}
