package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Max Memory Used of a process tree, measured again after the tree grew. */
class PeakMemoryTest {
  @Test
  void aChildForkedBetweenTwoMeasurementsIsCounted() throws Exception {
    // bash waits for a line, then forks dd holding a 64 MB buffer (blocked on a pipe nobody reads)
    Process bash =
        new ProcessBuilder(
                "bash",
                "-c",
                "read -r line; dd if=/dev/zero bs=64M count=1 2>/dev/null | sleep 30 & wait")
            .start();
    try {
      PeakMemory peak = new PeakMemory();
      long before = peak.of(bash.pid());
      assertThat(before).as("bash alone").isBetween(1L, 32L);

      try (OutputStream in = bash.getOutputStream()) {
        in.write("go\n".getBytes(StandardCharsets.US_ASCII));
      }

      await().atMost(Duration.ofSeconds(10)).until(() -> peak.of(bash.pid()) >= before + 60);
      assertThat(peak.of(bash.pid()))
          .as("never less than measured before")
          .isGreaterThanOrEqualTo(before + 60);
    } finally {
      bash.descendants().forEach(ProcessHandle::destroyForcibly);
      bash.destroyForcibly();
    }
  }
}
