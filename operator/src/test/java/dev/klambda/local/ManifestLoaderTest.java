package dev.klambda.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klambda.function.FunctionConfig;
import dev.klambda.function.FunctionValidator;
import dev.klambda.function.SizingPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestLoaderTest {
  private static final String GOOD =
      """
      apiVersion: klambda.dev/v1alpha1
      kind: Function
      metadata:
        name: %s
      spec:
        runtime: provided
        code:
          inline:
            files:
              bootstrap: "#!/bin/sh"
      """;

  @TempDir Path dir;
  private final ManifestLoader loader =
      new ManifestLoader(new FunctionValidator(SizingPolicy.DEFAULT));

  @Test
  void loadsEveryDocumentOfEveryYamlFileInAFolder() throws Exception {
    Files.writeString(
        dir.resolve("a.yaml"), GOOD.formatted("one") + "---\n" + GOOD.formatted("two"));
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub/b.yml"), GOOD.formatted("three"));
    Files.writeString(dir.resolve("notes.txt"), "not a manifest");

    ManifestLoader.Result result = loader.load(List.of(dir));

    assertThat(result.errors()).isEmpty();
    assertThat(result.functions())
        .extracting(FunctionConfig::name)
        .containsExactly("one", "two", "three");
  }

  @Test
  void reportsFileDocumentFieldAndRuleAndKeepsTheRest() throws Exception {
    Path file = dir.resolve("mixed.yaml");
    Files.writeString(
        file,
        GOOD.formatted("good")
            + "---\n"
            + GOOD.formatted("small")
                .replace("runtime: provided", "runtime: provided\n  memoryMB: 100")
            + "---\n"
            + GOOD.formatted("typo")
                .replace("runtime: provided", "runtime: provided\n  memroyMB: 256")
            + "---\n"
            + GOOD.formatted("words")
                .replace("runtime: provided", "runtime: provided\n  timeoutSeconds: soon")
            + "---\n"
            + GOOD.formatted("good")
            + "---\n"
            + "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");

    ManifestLoader.Result result = loader.load(List.of(file));

    assertThat(result.functions()).extracting(FunctionConfig::name).containsExactly("good");
    assertThat(result.errors())
        .containsExactly(
            file
                + " (document 2): spec.memoryMB: must be between 128 and 3008 MB in steps of 64 MB (got 100)",
            file
                + " (document 3): spec.memroyMB: unknown field (known here: "
                + knownSpecFields(result)
                + ")",
            file + " (document 4): spec.timeoutSeconds: must be an integer",
            file
                + " (document 5): metadata.name: function default/good is already defined in "
                + file
                + " (document 1)",
            file + " (document 6): apiVersion: must be klambda.dev/v1alpha1 (got 'v1')");
  }

  private static String knownSpecFields(ManifestLoader.Result result) {
    String error = result.errors().get(1);
    return error.substring(
        error.indexOf("(known here: ") + "(known here: ".length(), error.length() - 1);
  }

  @Test
  void reportsYamlThatDoesNotParse() throws Exception {
    Path file = dir.resolve("broken.yaml");
    Files.writeString(file, "apiVersion: [unclosed\n");

    ManifestLoader.Result result = loader.load(List.of(file, dir.resolve("missing.yaml")));

    assertThat(result.functions()).isEmpty();
    assertThat(result.errors()).hasSize(2);
    assertThat(result.errors().get(0)).startsWith(file + " (document 1): not valid YAML");
    assertThat(result.errors().get(1))
        .isEqualTo(dir.resolve("missing.yaml") + ": no such file or folder");
  }

  @Test
  void loadsEventSourceMappingsAndRefusesBadOnes() throws Exception {
    String mapping =
        """
        apiVersion: klambda.dev/v1alpha1
        kind: EventSourceMapping
        metadata:
          name: %s
        spec:
          functionName: %s
          %s
          source:
            %s
        """;
    Path file = dir.resolve("mappings.yaml");
    Files.writeString(
        file,
        GOOD.formatted("report")
            + "---\n"
            + mapping.formatted(
                "nightly",
                "report",
                "enabled: true",
                "schedule: {expression: \"cron(0 3 * * ? *)\"}")
            + "---\n"
            + mapping.formatted(
                "both",
                "report",
                "enabled: true",
                "schedule: {expression: \"rate(1 day)\"}\n    sqs: {queueUrl: \"http://q\"}")
            + "---\n"
            + mapping.formatted(
                "empty", "report", "batchSize: 0", "schedule: {expression: \"rate(1 day)\"}")
            + "---\n"
            + mapping.formatted(
                "orphan", "nobody", "enabled: true", "schedule: {expression: \"rate(1 day)\"}")
            + "---\n"
            + mapping.formatted(
                "typo", "report", "enabled: true", "schedule: {expression: \"rate(5 seconds)\"}"));

    ManifestLoader.Result result = loader.load(List.of(file));

    assertThat(result.mappings()).extracting(m -> m.name()).containsExactly("nightly");
    assertThat(result.errors())
        .containsExactly(
            file
                + " (document 3): spec.source: must set exactly one of sqs, kafka and schedule (got 2)",
            file + " (document 4): spec.batchSize: must be between 1 and 10000 (got 0)",
            file
                + " (document 6): spec.source.schedule.expression: rate unit must be minute(s), hour(s) or day(s) (got 'seconds')",
            file + " (document 5): spec.functionName: no Function default/nobody in the manifests");
  }

  @Test
  void loadsSecretsForMappingsAndRefusesBadFilters() throws Exception {
    Path file = dir.resolve("kafka.yaml");
    Files.writeString(
        file,
        GOOD.formatted("report")
            + """
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: broker, namespace: default}
        data: {username: YWxpY2U=}
        stringData: {password: s3cret, saslMechanism: PLAIN}
        ---
        apiVersion: klambda.dev/v1alpha1
        kind: EventSourceMapping
        metadata: {name: orders}
        spec:
          functionName: report
          source: {kafka: {bootstrapServers: "localhost:9092", topic: orders, authSecretRef: {name: broker}}}
          filterCriteria: {filters: [{pattern: '{"value": {"type": ["order"]}}'}]}
        ---
        apiVersion: klambda.dev/v1alpha1
        kind: EventSourceMapping
        metadata: {name: bad-filter}
        spec:
          functionName: report
          source: {kafka: {bootstrapServers: "localhost:9092", topic: orders}}
          filterCriteria: {filters: [{pattern: '{"value": {"type": ["order"]}}'}, {pattern: '{"value": {"n": [{"numeric": [">"]}]}}'}]}
        ---
        apiVersion: klambda.dev/v1alpha1
        kind: EventSourceMapping
        metadata: {name: topic-for-sqs}
        spec:
          functionName: report
          source: {sqs: {queueUrl: "http://q/1/a"}}
          destinationConfig: {onFailure: {kafka: {topic: failures}}}
        """);

    ManifestLoader.Result result = loader.load(List.of(file));

    assertThat(result.mappings()).extracting(m -> m.name()).containsExactly("orders");
    assertThat(result.secretSource().read("default", "broker"))
        .containsOnly(
            Map.entry("username", "alice"),
            Map.entry("password", "s3cret"),
            Map.entry("saslMechanism", "PLAIN"));
    assertThat(result.errors()).hasSize(2);
    assertThat(result.errors().get(0))
        .startsWith(
            file
                + " (document 4): spec.filterCriteria.filters[1].pattern: Value of > must be numeric");
    assertThat(result.errors().get(1))
        .isEqualTo(
            file
                + " (document 5): spec.destinationConfig.onFailure.kafka: "
                + "needs a Kafka source: the topic is on the source's cluster");
  }
}
