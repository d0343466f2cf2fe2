package dev.klambda.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.klambda.environments.Environment;
import dev.klambda.function.CodeSource;
import dev.klambda.function.FunctionConfig;
import dev.klambda.function.SizingPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WarmPoolTest {
  private static final PoolSpec PROVIDED_128 = new PoolSpec("default", "provided", 128, 2);

  private final TestingPoolMembers members = new TestingPoolMembers();
  private PooledEnvironmentManager manager;

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  @Test
  void aPoolFillsToItsSizeOnceStarted() {
    manager = new PooledEnvironmentManager(members, List.of(PROVIDED_128));
    assertThat(members.startedMembers).isEmpty();

    manager.pool().start();

    assertThat(members.startedMembers).hasSize(2);
    assertThat(manager.pool().counts()).containsExactly(new WarmPool.Counts(PROVIDED_128, 2, 0));
  }

  @Test
  void aColdStartThatFitsTakesAMemberAndThePoolRefills() {
    manager = new PooledEnvironmentManager(members, List.of(PROVIDED_128));
    manager.pool().start();

    Environment environment = manager.start(function("echo", 128, "provided"), false).join();

    assertThat(environment.id()).startsWith("member-");
    assertThat(members.claims).containsEntry(environment.id(), List.of("default/echo"));
    assertThat(members.ownStarts).isEmpty();
    assertThat(members.startedMembers).as("the member taken is replaced").hasSize(3);
    assertThat(manager.pool().counts()).containsExactly(new WarmPool.Counts(PROVIDED_128, 2, 0));
  }

  @Test
  void aMemberServesOneFunctionForItsWholeLife() {
    manager =
        new PooledEnvironmentManager(members, List.of(new PoolSpec("default", "provided", 128, 1)));
    manager.pool().start();

    Environment first = manager.start(function("a", 128, "provided"), false).join();
    manager.stop(first).join();
    Environment second = manager.start(function("b", 128, "provided"), false).join();

    assertThat(second.id()).isNotEqualTo(first.id());
    assertThat(members.claims.values()).allSatisfy(tenants -> assertThat(tenants).hasSize(1));
    assertThat(members.startedMembers).extracting(PoolMember::id).doesNotHaveDuplicates();
  }

  @Test
  void whatDoesNotFitStartsItsOwnEnvironment() {
    manager = new PooledEnvironmentManager(members, List.of(PROVIDED_128));
    manager.pool().start();

    manager.start(function("bigger", 256, "provided"), false).join();
    manager.start(function("java", 128, "java21"), false).join();
    manager.start(inNamespace("team-b", function("elsewhere", 128, "provided")), false).join();
    manager.start(fromImage(function("imaged", 128, "provided")), false).join();
    manager.start(function("provisioned", 128, "provided"), true).join();

    assertThat(members.ownStarts).hasSize(5);
    assertThat(members.claims).isEmpty();
  }

  @Test
  void aFailedClaimFallsBackToAnEnvironmentOfItsOwn() {
    manager = new PooledEnvironmentManager(members, List.of(PROVIDED_128));
    manager.pool().start();
    members.claimsFail = true;

    Environment environment = manager.start(function("echo", 128, "provided"), false).join();

    assertThat(environment.id()).startsWith("own-");
    assertThat(members.claims).hasSize(1);
  }

  @Test
  void aMemberThatDiesWhilePooledIsReplaced() {
    manager = new PooledEnvironmentManager(members, List.of(PROVIDED_128));
    manager.pool().start();

    members.startedMembers.get(0).terminated().complete(null);

    assertThat(members.startedMembers).hasSize(3);
    assertThat(manager.pool().counts()).containsExactly(new WarmPool.Counts(PROVIDED_128, 2, 0));
  }

  @Test
  void aMemberThatCannotStartIsTriedAgainLater() {
    members.memberFailure = new IllegalStateException("no image");
    manager =
        new PooledEnvironmentManager(members, List.of(new PoolSpec("default", "provided", 128, 1)));
    manager.pool().start();
    assertThat(members.memberStartAttempts).hasValue(1);
    members.memberFailure = null;

    await().atMost(Duration.ofSeconds(10)).until(() -> members.startedMembers.size() == 1);
    assertThat(manager.pool().counts())
        .containsExactly(new WarmPool.Counts(new PoolSpec("default", "provided", 128, 1), 1, 0));
  }

  @Test
  void aSuspendedPoolHandsOutNothing() {
    manager = new PooledEnvironmentManager(members, List.of(PROVIDED_128));
    manager.pool().start();
    manager.pool().suspend();

    Environment environment = manager.start(function("echo", 128, "provided"), false).join();

    assertThat(environment.id()).startsWith("own-");
  }

  @Test
  void poolsAreParsedWithTheirNamespaceOrTheDefaultOne() {
    assertThat(
            PoolSpec.parseAll(
                "--warm-pool",
                "provided/128=2, team-b/java21/256=1",
                "default",
                SizingPolicy.DEFAULT))
        .containsExactly(
            new PoolSpec("default", "provided", 128, 2), new PoolSpec("team-b", "java21", 256, 1));
    assertThat(PoolSpec.parseAll("--warm-pool", "", "default", SizingPolicy.DEFAULT)).isEmpty();
  }

  @Test
  void aBadPoolNamesTheOptionAndTheRule() {
    assertThatThrownBy(
            () -> PoolSpec.parseAll("--warm-pool", "provided=2", "default", SizingPolicy.DEFAULT))
        .hasMessage(
            "--warm-pool: 'provided=2' must be [NAMESPACE/]RUNTIME/MEMORY_MB=SIZE, e.g. provided/128=2");
    assertThatThrownBy(
            () -> PoolSpec.parseAll("--warm-pool", "nodejs/128=2", "default", SizingPolicy.DEFAULT))
        .hasMessage(
            "--warm-pool: runtime 'nodejs' must be one of [java21, nodejs22.x, provided, python3.11]");
    assertThatThrownBy(
            () ->
                PoolSpec.parseAll("--warm-pool", "provided/100=2", "default", SizingPolicy.DEFAULT))
        .hasMessageStartingWith("--warm-pool: MEMORY_MB must be between 128 and");
    assertThatThrownBy(
            () ->
                PoolSpec.parseAll("--warm-pool", "provided/128=0", "default", SizingPolicy.DEFAULT))
        .hasMessage("--warm-pool: SIZE must be from 1 to 100 (got '0')");
    assertThatThrownBy(
            () ->
                PoolSpec.parseAll(
                    "--warm-pool",
                    "provided/128=1,default/provided/128=2",
                    "default",
                    SizingPolicy.DEFAULT))
        .hasMessage("--warm-pool: default/provided-128 is given twice");
  }

  private static FunctionConfig function(String name, int memoryMB, String runtime) {
    return new FunctionConfig(
        "default",
        name,
        "uid-" + name,
        1,
        runtime,
        "",
        new CodeSource.Inline(
            Map.of("bootstrap", "#!/bin/bash\n".getBytes(StandardCharsets.UTF_8))),
        memoryMB,
        Duration.ofSeconds(3),
        Duration.ofSeconds(10),
        Map.of(),
        null,
        0,
        Duration.ofMinutes(5),
        null);
  }

  private static FunctionConfig inNamespace(String namespace, FunctionConfig f) {
    return new FunctionConfig(
        namespace,
        f.name(),
        f.uid(),
        f.generation(),
        f.runtime(),
        f.handler(),
        f.code(),
        f.memoryMB(),
        f.timeout(),
        f.initTimeout(),
        f.variables(),
        f.reservedConcurrency(),
        f.provisionedConcurrency(),
        f.idleTimeout(),
        f.url());
  }

  private static FunctionConfig fromImage(FunctionConfig f) {
    return new FunctionConfig(
        f.namespace(),
        f.name(),
        f.uid(),
        f.generation(),
        f.runtime(),
        f.handler(),
        new CodeSource.FromImage("example/echo:1"),
        f.memoryMB(),
        f.timeout(),
        f.initTimeout(),
        f.variables(),
        f.reservedConcurrency(),
        f.provisionedConcurrency(),
        f.idleTimeout(),
        f.url());
  }
}
