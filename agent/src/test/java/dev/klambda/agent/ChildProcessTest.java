package dev.klambda.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChildProcessTest {
  @Test
  void exitCodesReadAsLambdaWordsThem() {
    assertThat(ChildProcess.describeExit(1)).isEqualTo("exit status 1");
    assertThat(ChildProcess.describeExit(128 + 9)).isEqualTo("signal: killed");
    assertThat(ChildProcess.describeExit(128 + 15)).isEqualTo("signal: terminated");
    assertThat(ChildProcess.describeExit(128 + 10)).isEqualTo("signal: 10");
    // a JVM that fails to start exits with 255: a status, no signal has number 127
    assertThat(ChildProcess.describeExit(255)).isEqualTo("exit status 255");
  }
}
