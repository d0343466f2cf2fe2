package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class ReportLineTest {
  @Test
  void aWarmInvocationsLineIsLambdas() {
    assertThat(ReportLine.of("8e6daa62-d0d1-4406-bb1e-9100b8692f86", 12_345, 13, 128, 71, 0, null))
        .isEqualTo(
            "REPORT RequestId: 8e6daa62-d0d1-4406-bb1e-9100b8692f86\tDuration: 12.35 ms"
                + "\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB");
  }

  @Test
  void aColdStartAddsItsInitAndAnEndingOtherThanNextItsStatus() {
    assertThat(
            ReportLine.of(
                "id", 3_000_000, 3000, 512, 512, 987_654, "error\tError Type: Runtime.ExitError"))
        .isEqualTo(
            "REPORT RequestId: id\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 512 MB"
                + "\tMax Memory Used: 512 MB\tInit Duration: 987.65 ms\tStatus: error\tError Type: Runtime.ExitError");
  }

  @Test
  void millisecondsArePrintedAsPercentPointTwoFPrintsThem() {
    for (long micros :
        new long[] {
          0, 4, 5, 9, 10, 99, 994, 995, 1_005, 1_000, 10_095, 123_456, 999_995, Integer.MAX_VALUE
        }) {
      assertThat(ReportLine.millis(new StringBuilder(), micros).toString())
          .as("%d µs", micros)
          .isEqualTo(String.format(Locale.ROOT, "%.2f", micros / 1000.0));
    }
  }
}
