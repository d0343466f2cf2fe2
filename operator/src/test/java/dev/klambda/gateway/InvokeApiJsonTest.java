package dev.klambda.gateway;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klambda.routing.ServiceException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The Invoke API's JSON check, on a payload where Netty received it. */
class InvokeApiJsonTest {
  @Test
  void aPayloadSplitAcrossReceivedBuffersIsCheckedAsOne() {
    assertThatCode(() -> InvokeApi.checkJson(received("{\"greet", "ing\":\"hel", "lo\"}")))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> InvokeApi.checkJson(received("{\"a\":1}", " {")))
        .isInstanceOf(ServiceException.class)
        .hasMessageContaining("unexpected content after the JSON value");
    assertThatThrownBy(() -> InvokeApi.checkJson(received("{\"a\":", "}")))
        .isInstanceOf(ServiceException.class);
  }

  @Test
  void aPayloadInAnArrayIsCheckedWhereItIs() {
    ByteBuf withinALargerArray =
        Unpooled.wrappedBuffer("xx[1,2]yy".getBytes(StandardCharsets.UTF_8), 2, 5);
    assertThatCode(() -> InvokeApi.checkJson(withinALargerArray)).doesNotThrowAnyException();
  }

  /** Parts one after the other, as the server's reads leave them: no array to parse in place. */
  private static ByteBuf received(String... parts) {
    CompositeByteBuf body = Unpooled.compositeBuffer();
    for (String part : parts) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      body.addComponent(true, Unpooled.wrappedBuffer(bytes));
    }
    return body;
  }
}
