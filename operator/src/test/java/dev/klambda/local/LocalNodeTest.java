package dev.klambda.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalNodeTest {
  @Test
  void node22OrLaterRunsNodejs22() {
    assertThat(LocalNode.judge("v22.23.5\n")).isNull();
    assertThat(LocalNode.judge("v24.1.0")).isNull();
  }

  @Test
  void anOlderOrMissingNodeIsRefusedSayingWhatIsNeeded() {
    assertThat(LocalNode.judge("v20.20.2\n"))
        .isEqualTo(
            "nodejs22.x runs on this machine's Node.js, which must be "
                + "22 or later as 'node' on the PATH (found v20.20.2)");
    assertThat(LocalNode.judge(null)).endsWith("as 'node' on the PATH (there is none)");
    assertThat(LocalNode.judge("not a version"))
        .endsWith("('node --version' said 'not a version')");
  }

  @Test
  void otherRuntimesAreNotNodesBusiness() {
    assertThat(LocalNode.problem("java21")).isNull();
  }
}
