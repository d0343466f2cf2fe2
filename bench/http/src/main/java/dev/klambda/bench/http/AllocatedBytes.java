package dev.klambda.bench.http;

import com.sun.management.ThreadMXBean;
import com.sun.tools.attach.VirtualMachine;
import java.lang.management.ManagementFactory;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The heap another JVM has allocated since it started ({@link
 * ThreadMXBean#getTotalThreadAllocatedBytes()}: every thread's, those ended included), read over
 * the local JMX connector that the attach API starts in it. Off-heap memory (Netty's direct
 * buffers) is not in it.
 */
final class AllocatedBytes implements AutoCloseable {
  private final JMXConnector connector;
  private final ThreadMXBean threads;

  AllocatedBytes(long pid) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
    String address;
    try {
      address = vm.startLocalManagementAgent();
    } finally {
      vm.detach();
    }
    connector = JMXConnectorFactory.connect(new JMXServiceURL(address));
    threads =
        ManagementFactory.newPlatformMXBeanProxy(
            connector.getMBeanServerConnection(),
            ManagementFactory.THREAD_MXBEAN_NAME,
            ThreadMXBean.class);
  }

  long total() {
    return threads.getTotalThreadAllocatedBytes();
  }

  @Override
  public void close() throws Exception {
    connector.close();
  }
}
