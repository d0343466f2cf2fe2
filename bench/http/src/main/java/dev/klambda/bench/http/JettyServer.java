package dev.klambda.bench.http;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Jetty 12's core API (no servlets): the body read and answered without blocking. */
final class JettyServer implements StackServer.Stack {
  @Override
  public void start(InetSocketAddress address) throws Exception {
    Server server = new Server(new QueuedThreadPool(16, 4));
    ServerConnector connector = new ServerConnector(server, 1, 1);
    connector.setHost(address.getHostString());
    connector.setPort(address.getPort());
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract.NonBlocking() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            Content.Source.asByteBufferAsync(request)
                .whenComplete(
                    (body, failure) -> {
                      if (failure != null) {
                        Response.writeError(request, response, callback, failure);
                        return;
                      }
                      response.setStatus(200);
                      response.getHeaders().put(HttpHeader.CONTENT_TYPE, StackServer.CONTENT_TYPE);
                      StackServer.HEADERS.forEach(response.getHeaders()::put);
                      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.remaining());
                      response.write(true, body == null ? ByteBuffer.allocate(0) : body, callback);
                    });
            return true;
          }
        });
    server.start();
  }
}
