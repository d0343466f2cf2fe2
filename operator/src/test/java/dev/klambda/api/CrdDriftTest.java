package dev.klambda.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CRDs committed in crds/ are the ones the api classes generate (the build writes target/crds). */
class CrdDriftTest {
  private static final Path GENERATED = Path.of("target/crds");
  private static final Path COMMITTED = Path.of("../crds");

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    try (Stream<Path> generated = Files.list(GENERATED)) {
      for (Path crd : generated.toList()) {
        Path committed = COMMITTED.resolve(crd.getFileName());
        assertThat(committed)
            .as("%s is generated from the api classes; after changing them run: cp operator/target/crds/* crds/",
                committed)
            .exists()
            .hasSameTextualContentAs(crd);
      }
    }
  }
}
