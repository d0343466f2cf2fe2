package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OomKillsTest {
  @TempDir Path dir;

  @Test
  void readsCgroupV2MemoryEvents() throws Exception {
    Path events =
        Files.writeString(
            dir.resolve("memory.events"), "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\n");
    OomKills kills = new OomKills(List.of(events, dir.resolve("absent")));

    assertThat(kills.count()).isEqualTo(2);
    assertThat(kills.since(2)).isFalse();
    assertThat(kills.since(1)).isTrue();
  }

  @Test
  void readsCgroupV1OomControl() throws Exception {
    Path control =
        Files.writeString(
            dir.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n");

    assertThat(new OomKills(List.of(dir.resolve("absent"), control)).count()).isEqualTo(7);
  }

  @Test
  void outsideAContainerTheCountIsUnknownAndNothingIsInferred() {
    OomKills kills = new OomKills(List.of(dir.resolve("absent")));

    assertThat(kills.count()).isEqualTo(-1);
    assertThat(kills.since(-1)).isFalse();
  }
}
