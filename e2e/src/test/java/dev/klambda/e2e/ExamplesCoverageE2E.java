package dev.klambda.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Needs no cluster: every manifest in examples/ (folders too) is applied by some case of {@link
 * ExamplesE2E}.
 */
class ExamplesCoverageE2E {
  @Test
  void everyExampleHasACase() throws IOException {
    Set<String> covered =
        ExamplesE2E.examples()
            .flatMap(example -> example.files().stream())
            .collect(Collectors.toSet());
    Path examples = E2ESettings.fromSystemProperties().repoRoot().resolve("examples");
    List<String> manifests;
    try (Stream<Path> files = Files.walk(examples)) {
      manifests =
          files
              .filter(Files::isRegularFile)
              .map(file -> examples.relativize(file).toString())
              .filter(name -> name.matches(".*\\.ya?ml"))
              .sorted()
              .toList();
    }
    assertThat(manifests).as("manifests in %s", examples).isNotEmpty();
    assertThat(manifests)
        .as("examples/ files without a case in ExamplesE2E.examples(): add one")
        .allMatch(covered::contains, "covered");
    assertThat(covered)
        .as("cases naming files that are not in examples/")
        .allMatch(manifests::contains, "present");
  }
}
