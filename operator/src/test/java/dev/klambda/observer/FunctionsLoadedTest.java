package dev.klambda.observer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.api.Function;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FunctionsLoadedTest {
  private final List<Function> existing = new ArrayList<>();
  private final AtomicLong now = new AtomicLong();
  private boolean apiServerDown;
  private final FunctionsLoaded loaded =
      new FunctionsLoaded(
          () -> {
            if (apiServerDown) {
              throw new IllegalStateException("connection refused");
            }
            return List.copyOf(existing);
          },
          Duration.ofSeconds(30),
          now::get);

  private static Function function(String uid) {
    Function function = new Function();
    function.setMetadata(
        new ObjectMetaBuilder().withNamespace("default").withName("f-" + uid).withUid(uid).build());
    return function;
  }

  @Test
  void notLoadedBeforeServingEvenWithNoFunctions() {
    assertThat(loaded.loaded()).isFalse();
    loaded.serving();
    assertThat(loaded.loaded()).isTrue();
  }

  @Test
  void loadedOnceEveryExistingFunctionWasReconciledAndForGoodAfter() {
    Function a = function("a");
    Function b = function("b");
    existing.addAll(List.of(a, b));
    loaded.serving();
    loaded.reconciled(a);
    assertThat(loaded.loaded()).isFalse();
    loaded.reconciled(b);
    assertThat(loaded.loaded()).isTrue();

    existing.add(function("created-later"));
    apiServerDown = true;
    assertThat(loaded.loaded())
        .as("a later Function or an outage does not take readiness back")
        .isTrue();
  }

  @Test
  void anUnreachableApiServerIsNotLoaded() {
    loaded.serving();
    apiServerDown = true;
    assertThat(loaded.loaded()).isFalse();
  }

  @Test
  void aFunctionThatNeverReconcilesHoldsReadinessBackOnlyForTheGrace() {
    existing.add(function("broken"));
    now.set(1_000);
    loaded.serving();
    now.addAndGet(Duration.ofSeconds(29).toNanos());
    assertThat(loaded.loaded()).isFalse();
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(loaded.loaded()).isTrue();
  }
}
