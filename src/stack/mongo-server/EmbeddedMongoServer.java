package qbosync.mongoserver;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoServer;

/**
 * qbo-sync's embedded MongoDB-wire server: mongo-java-server on an H2 MVStore file, with the additions of
 * {@link IndexedH2Backend} and {@link TtlMonitor}. Started by the local stack (src/stack/services.ts); MongoDB itself
 * replaces it in production.
 *
 * Usage: EmbeddedMongoServer --port N [--host 127.0.0.1] [--data DIR | --in-memory] [--ttl-monitor-seconds 60]
 *        [--exit-with-parent]
 * or EmbeddedMongoServer --warm-up, which starts and stops an in-memory server on a free port, so that the JVM can
 * record the classes a start loads into a class-data-sharing archive (src/stack/tools.ts).
 */
public final class EmbeddedMongoServer {

    /** MongoDB flushes its journal every 100 ms: an acknowledged write may be lost to a crash within that window. */
    private static final int COMMIT_DELAY_MS = 100;

    /**
     * The server runs each command on the network thread its connection belongs to, so a command waiting for a
     * collection's lock holds up every connection on that thread. Netty's default is two threads per core (four
     * here) for all of a test run's hundreds of connections: one slow command stalled a quarter of them. MongoDB
     * gives each connection a thread of its own; this many comes close for the connections a stack opens.
     */
    private static final int NETWORK_THREADS = 64;

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        if (options.containsKey("warm-up")) {
            warmUp();
            return;
        }
        String host = options.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(require(options, "port"));
        long ttlSeconds = Long.parseLong(options.getOrDefault("ttl-monitor-seconds", "60"));

        MVStore store;
        if (options.containsKey("in-memory")) {
            store = MVStore.open(null);
        } else {
            Path dir = Path.of(require(options, "data"));
            Files.createDirectories(dir);
            store = new MVStore.Builder().fileName(dir.resolve("qbo-sync.mv.db").toString()).open();
            store.setAutoCommitDelay(COMMIT_DELAY_MS);
        }
        IndexedH2Backend backend = new IndexedH2Backend(store);
        MongoServer server = new MongoServer(backend);
        server.bind(new InetSocketAddress(host, port), 1, NETWORK_THREADS);

        ScheduledExecutorService ttl = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "ttl-monitor");
            thread.setDaemon(true);
            return thread;
        });
        ttl.scheduleWithFixedDelay(new TtlMonitor(backend), ttlSeconds, ttlSeconds, TimeUnit.SECONDS);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ttl.shutdownNow();
            server.shutdownNow();
            // Commits what the last 100 ms wrote and closes the file cleanly.
            backend.close();
        }, "shutdown"));

        InetSocketAddress bound = server.getLocalAddress();
        System.out.println("{\"ready\":true,\"host\":\"" + bound.getHostString() + "\",\"port\":" + bound.getPort() + "}");
        System.out.flush();
        // The process that started the server stops it; if that process dies first, even by SIGKILL, nothing would.
        if (options.containsKey("exit-with-parent"))
            ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
    }

    private static void warmUp() {
        IndexedH2Backend backend = new IndexedH2Backend(MVStore.open(null));
        MongoServer server = new MongoServer(backend);
        server.bind("127.0.0.1", 0);
        server.shutdownNow();
        backend.close();
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[i]);
            String name = args[i].substring(2);
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            options.put(name, flag ? "" : args[++i]);
        }
        return options;
    }

    private static String require(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isEmpty()) throw new IllegalArgumentException("--" + name + " is required");
        return value;
    }
}
