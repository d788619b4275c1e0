/*
 * AWS's DynamoDB Local, started the way its own ServerRunner starts it, with two changes for the tests and benches
 * (see dynamodb-local.ts, which compiles this file once and runs it):
 *
 *  - it listens on 127.0.0.1 only: the jar's command line has -port but no host, and its Jetty server would otherwise
 *    listen on every interface;
 *  - it exits when its standard input closes, so a Node.js parent that dies (even by SIGKILL) leaves no JVM behind.
 *
 * Telemetry is never configured (ServerRunner.main is what would), so nothing is sent anywhere.
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDBLocalOnLoopback {
  public static void main(String[] args) throws Exception {
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) { /* the parent writes nothing; EOF means it is gone */ }
      } catch (Exception ignored) {
        // a broken pipe is the same news
      }
      Runtime.getRuntime().halt(0);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    proxy.start(); // on a port already taken it prints why and stops the server instead of throwing
    if (!server.isStarted()) System.exit(1);
    for (Connector connector : server.getConnectors()) {
      ServerConnector c = (ServerConnector) connector;
      System.out.println("DynamoDB Local listening on " + c.getHost() + ":" + c.getLocalPort());
    }
  }
}
