package dev.klambda.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRDs committed in crds/ are the ones the api classes generate (the build writes target/crds),
 * and the Helm chart carries the same files (helm installs a chart's crds/ folder as it is).
 */
class CrdDriftTest {
  private static final Path GENERATED = Path.of("target/crds");
  private static final Path COMMITTED = Path.of("../crds");
  private static final Path CHART = Path.of("../charts/klambda/crds");
  private static final String UPDATE =
      "after changing the api classes run:"
          + " cp operator/target/crds/* crds/ && cp crds/* charts/klambda/crds/";

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    for (Path crd : files(GENERATED)) {
      Path committed = COMMITTED.resolve(crd.getFileName());
      assertThat(committed)
          .as("%s is generated from the api classes; %s", committed, UPDATE)
          .exists()
          .hasSameTextualContentAs(crd);
    }
  }

  @Test
  void theChartCarriesTheCommittedCrds() throws IOException {
    assertThat(names(CHART))
        .as("the files of charts/klambda/crds; %s", UPDATE)
        .isEqualTo(names(COMMITTED));
    for (Path crd : files(COMMITTED)) {
      assertThat(CHART.resolve(crd.getFileName()))
          .as("the chart's copy of %s; %s", crd, UPDATE)
          .hasSameTextualContentAs(crd);
    }
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }

  private static List<String> names(Path dir) throws IOException {
    return files(dir).stream().map(p -> p.getFileName().toString()).toList();
  }
}
