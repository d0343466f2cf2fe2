package dev.klambda.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.klambda.agent.AgentProtocol;
import dev.klambda.testing.FakeAgent;
import dev.klambda.testing.NettyLeaks;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The client's buffers: a request's body is the write's to release, an answer's its taker's. */
class HttpConnectionsTest {
  @Test
  void anAnswerHoldsTheReceivedBodyUntilItIsClosed() throws Exception {
    try (NettyLeaks leaks = new NettyLeaks()) {
      try (FakeAgent agent = new FakeAgent();
          HttpConnections http = new HttpConnections("test", Duration.ofSeconds(1))) {
        ByteBuf body = body("{\"echo\":true}");
        HttpConnections.Answer answer =
            http.exchange(agent.address(), post(body.retain()), Duration.ofSeconds(10));
        try (answer) {
          assertThat(answer.bodyText()).isEqualTo("{\"echo\":true}");
          // the answer completes inside the client's handler, which lets go of its own reference
          // just after: then only the answer's is left
          await().until(() -> answer.body().refCnt() == 1);
        }
        assertThat(answer.body().refCnt()).isZero();
        await().until(() -> body.refCnt() == 1); // the write let go of its reference
        body.release();
      }
      assertThat(leaks.found()).isEmpty();
    }
  }

  @Test
  void aLateAnswerAndARefusedConnectionLeaveNoBufferBehind() throws Exception {
    try (NettyLeaks leaks = new NettyLeaks()) {
      try (FakeAgent agent = new FakeAgent();
          HttpConnections http = new HttpConnections("test", Duration.ofSeconds(1))) {
        ByteBuf late = body("{\"hold\":2000,\"x\":\"" + "x".repeat(1024 * 1024) + "\"}");
        assertThatThrownBy(
                () -> http.exchange(agent.address(), post(late.retain()), Duration.ofMillis(200)))
            .isInstanceOf(SocketTimeoutException.class);
        await().until(() -> late.refCnt() == 1);
        late.release();

        ByteBuf refused = body("{}");
        assertThatThrownBy(
                () -> http.exchange(closedPort(), post(refused.retain()), Duration.ofSeconds(5)))
            .isInstanceOf(ConnectException.class);
        assertThat(refused.refCnt()).isEqualTo(1);
        refused.release();
      }
      assertThat(leaks.found()).isEmpty();
    }
  }

  private static ByteBuf body(String text) {
    return ByteBufAllocator.DEFAULT
        .directBuffer()
        .writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  private static FullHttpRequest post(ByteBuf body) {
    return new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1, HttpMethod.POST, AgentProtocol.INVOKE_PATH, body);
  }

  /** An address where nothing listens. */
  private static URI closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }
  }
}
