import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.List;

/**
 * Starts mongo-java-server (in-memory backend) on HOST PORT for integration tests.
 * Usage: java -cp 'libs/*:classes' MongoWireServer 127.0.0.1 57017
 */
public final class MongoWireServer {
  /**
   * The library reports wire version 8 (MongoDB 5.0); the MongoDB Node driver 7 (mongoose 9) wants at
   * least 9. The version is only echoed in hello/buildInfo/serverStatus, so claim MongoDB 7.0 (wire 13).
   */
  private static final MongoVersion MONGO_7_0 =
      new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
          return List.of(7, 0, 0);
        }

        @Override
        public int getWireVersion() {
          return 13;
        }
      };

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: MongoWireServer HOST PORT");
      System.exit(2);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);

    MemoryBackend backend = new MemoryBackend();
    backend.version(MONGO_7_0);
    MongoServer server = new MongoServer(backend);
    server.bind(host, port);
    // SIGTERM runs shutdown hooks: close the listener and client connections cleanly.
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "mongo-wire-shutdown"));
    System.out.println("MongoWireServer listening on " + host + ":" + port);
  }
}
