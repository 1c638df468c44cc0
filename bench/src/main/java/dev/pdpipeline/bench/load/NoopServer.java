package dev.pdpipeline.bench.load;

import io.javalin.Javalin;
import java.util.concurrent.CountDownLatch;

/**
 * The limit of the HTTP layer: the same Javalin/Jetty as the ingress, the same route, reading the
 * body and answering 202 without verifying or publishing. {@link #main} runs it in a JVM of its
 * own: prints {@code PORT <n>} and serves until the JVM is asked to stop.
 */
public final class NoopServer {

    /** The ingress's webhook route. */
    public static final String WEBHOOK_PATH = "/webhooks/pagerduty";
    /** The line the parent waits for. */
    public static final String READY_PREFIX = "PORT ";

    private NoopServer() {
    }

    /** Starts it on a free loopback port ({@code port} 0) or the given one. */
    public static Javalin start(long maxBodyBytes, int port) {
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = maxBodyBytes;
            config.routes.post(WEBHOOK_PATH, ctx -> {
                ctx.bodyAsBytes();
                ctx.status(202).contentType("application/json").result("{\"status\":\"accepted\"}");
            });
        });
        app.start("127.0.0.1", port);
        return app;
    }

    /** {@code NoopServer [maxBodyBytes] [port]}. */
    public static void main(String[] args) throws InterruptedException {
        long maxBody = args.length > 0 ? Long.parseLong(args[0]) : 1_048_576L;
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        Javalin app = start(maxBody, port);
        Runtime.getRuntime().addShutdownHook(new Thread(app::stop, "noop-server-shutdown"));
        System.out.println(READY_PREFIX + app.port());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
