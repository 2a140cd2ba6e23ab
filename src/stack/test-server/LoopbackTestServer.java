import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Temporal's time-skipping test server (io.temporal:temporal-test-server), started as its own main class
 * (io.temporal.testserver.TestServer) starts it, with the same arguments, except that it listens on 127.0.0.1
 * instead of on every interface, and exits when the process that started it does.
 *
 * <p>Usage: {@code LoopbackTestServer <port> [--enable-time-skipping]}, which is what @temporalio/testing passes to
 * a time-skipping server. {@code LoopbackTestServer --warm-up} starts and stops a server on a free port and exits, so
 * that the JVM can record the classes a start loads into a class-data-sharing archive (see src/stack/tools.ts).
 */
public final class LoopbackTestServer {
  private LoopbackTestServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("--warm-up")) {
      Running running = start(0, true);
      running.server().shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      running.services().close();
      System.exit(0);
    }
    boolean flagValid = args.length == 1 || (args.length == 2 && args[1].equalsIgnoreCase("--enable-time-skipping"));
    if (!flagValid) {
      System.err.println("usage: LoopbackTestServer <port> [--enable-time-skipping] | --warm-up");
      System.exit(2);
    }
    Running running = start(Integer.parseInt(args[0]), args.length == 1);
    // The process that started the server stops it by killing it; if that process dies first, even by SIGKILL,
    // nothing would, so the server goes with it.
    ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  running.server().shutdown();
                  running.services().close();
                }));
    running.server().awaitTermination();
  }

  private record Running(TestServicesStarter services, Server server) {}

  /** What TestServer.createPortBoundServer does, on the loopback address. */
  private static Running start(int port, boolean lockTimeSkipping) throws Exception {
    TestServicesStarter services = new TestServicesStarter(lockTimeSkipping, 0);
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(
            new InetSocketAddress("127.0.0.1", port), InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    return new Running(services, builder.build().start());
  }
}
