package dev.klambda.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BillingTest {
  private final Billing aws = Billing.AWS;

  @Test
  void roundsBilledDurationUpToTheMillisecond() {
    assertThat(aws.billedMillis(0, 0)).as("at least 1 ms").isEqualTo(1);
    assertThat(aws.billedMillis(1, 0)).isEqualTo(1);
    assertThat(aws.billedMillis(1000, 0)).isEqualTo(1);
    assertThat(aws.billedMillis(1001, 0)).isEqualTo(2);
    assertThat(aws.billedMillis(899_999_999, 0)).isEqualTo(900_000);
  }

  @Test
  void roundsToACoarserGranularity() {
    Billing hundred =
        new Billing(
            100, true, Billing.AWS.pricePerGbSecond(), Billing.AWS.pricePerMillionRequests());
    assertThat(hundred.billedMillis(1000, 0)).isEqualTo(100);
    assertThat(hundred.billedMillis(100_000, 0)).isEqualTo(100);
    assertThat(hundred.billedMillis(100_001, 0)).isEqualTo(200);
  }

  @Test
  void billsInitOnColdStartsUnlessTurnedOff() {
    assertThat(aws.billedMillis(2_400, 125_300)).isEqualTo(128);
    Billing noInit =
        new Billing(
            1, false, Billing.AWS.pricePerGbSecond(), Billing.AWS.pricePerMillionRequests());
    assertThat(noInit.billedMillis(2_400, 125_300)).isEqualTo(3);
  }

  @Test
  void aMillionOneMillisecondInvocationsOf128MbAreExactly125GbSeconds() {
    Usage usage = Usage.none(Instant.EPOCH);
    for (int i = 0; i < 1_000_000; i++) {
      usage = usage.plus(1, 0, 0, 1, Billing.megabyteMillis(128, aws.billedMillis(1000, 0)));
    }
    assertThat(Billing.gbSeconds(usage.megabyteMillis())).isEqualByComparingTo("125");
    assertThat(aws.cost(usage.megabyteMillis(), usage.invocations()))
        .isEqualByComparingTo(
            new BigDecimal("125")
                .multiply(new BigDecimal("0.0000166667"))
                .add(new BigDecimal("0.20")));
  }

  @Test
  void theLargestInvocationIsExact() {
    long megabyteMillis = Billing.megabyteMillis(10240, aws.billedMillis(900_000_000, 10_000_000));
    assertThat(megabyteMillis).isEqualTo(10240L * 910_000);
    assertThat(Billing.gbSeconds(megabyteMillis)).isEqualByComparingTo("9100");
  }

  @Test
  void overflowFailsInsteadOfWrapping() {
    Usage nearlyFull = new Usage(Long.MAX_VALUE, 0, 0, 0, 0, Instant.EPOCH);
    assertThatThrownBy(() -> nearlyFull.plus(1, 0, 0, 0, 0))
        .isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> Billing.megabyteMillis(10240, Long.MAX_VALUE / 1000))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> new Billing(0, true, BigDecimal.ONE, BigDecimal.ONE))
        .hasMessageContaining("granularity must be at least 1 ms");
    assertThatThrownBy(() -> new Billing(1, true, new BigDecimal("-1"), BigDecimal.ONE))
        .hasMessageContaining("prices must not be negative");
  }
}
