package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runtime interface clients' framed log records, as they arrive: in pieces, or not framed. */
class LogFramesTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final LogFrames frames =
      new LogFrames(new LogSink(new PrintStream(out, true, StandardCharsets.UTF_8)));

  /**
   * A frame as the Java client writes one: type a55a0003 (text, level flags), length, timestamp,
   * message.
   */
  private static byte[] frame(String message) {
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(16 + text.length)
        .putInt(0xa55a0003)
        .putInt(text.length)
        .putLong(1_767_225_600_000_000L)
        .put(text)
        .array();
  }

  private List<String> lines() {
    return List.of(out.toString(StandardCharsets.UTF_8).split("\n"));
  }

  private void write(byte[] bytes) {
    frames.write(bytes, bytes.length);
  }

  @Test
  void eachRecordIsOneLineItsOwnLineBreaksAsCarriageReturns() {
    write(frame("first"));
    write(frame("second"));
    write(frame("java.lang.IllegalStateException: boom\n\tat Handler.handle(Handler.java:10)\n"));

    assertThat(lines())
        .containsExactly(
            "first",
            "second",
            "java.lang.IllegalStateException: boom\r\tat Handler.handle(Handler.java:10)");
  }

  @Test
  void aRecordArrivingInPiecesIsWrittenWholeAndNotCutByAFlush() {
    byte[] bytes = frame("a record in pieces");
    frames.write(bytes, 10); // part of the header
    frames.flush();
    byte[] rest = java.util.Arrays.copyOfRange(bytes, 10, 20);
    frames.write(rest, rest.length);
    frames.flush();
    assertThat(out.size()).as("nothing of a record before it is whole").isZero();

    byte[] last = java.util.Arrays.copyOfRange(bytes, 20, bytes.length);
    frames.write(last, last.length);
    assertThat(lines()).containsExactly("a record in pieces");
  }

  @Test
  void aRecordCutShortByTheEndOfTheStreamIsKeptAsFarAsItCame() {
    byte[] bytes = frame("cut short");
    frames.write(bytes, bytes.length - 6);
    frames.end();
    assertThat(lines()).containsExactly("cut");
  }

  @Test
  void bytesThatAreNoFrameAreKeptAsPlainLines() {
    write(frame("framed"));
    write("plain text\nmore\n".getBytes(StandardCharsets.UTF_8));
    assertThat(lines()).containsExactly("framed", "plain text", "more");
  }
}
