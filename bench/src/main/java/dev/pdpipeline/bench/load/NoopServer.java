package dev.pdpipeline.bench.load;

import io.javalin.Javalin;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import java.util.concurrent.CountDownLatch;

/**
 * The limit of the HTTP layer: Javalin/Jetty as in the ingress, the webhook route, reading the
 * body and answering 202 without verifying or publishing. Two forms: a Javalin route (the limit
 * the issue's {@code ingressVsLimit} is defined with) and, with {@code core}, a Jetty core handler
 * in front of Javalin, which is how the ingress serves the route now, so that the ratio against
 * the same HTTP path is measured too. {@link #main} runs it in a JVM of its own: prints
 * {@code PORT <n>} and serves until the JVM is asked to stop.
 */
public final class NoopServer {

    /** The ingress's webhook route. */
    public static final String WEBHOOK_PATH = "/webhooks/pagerduty";
    /** The line the parent waits for. */
    public static final String READY_PREFIX = "PORT ";

    private NoopServer() {
    }

    /** Starts it on a free loopback port ({@code port} 0) or the given one, as a Javalin route. */
    public static Javalin start(long maxBodyBytes, int port) {
        return start(maxBodyBytes, port, false);
    }

    /** @param core whether the route is a Jetty core handler in front of Javalin (as in the ingress) */
    public static Javalin start(long maxBodyBytes, int port, boolean core) {
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = maxBodyBytes;
            if (core) {
                config.jetty.modifyServer(server -> server.insertHandler(new CoreRoute(maxBodyBytes)));
            }
            config.routes.post(WEBHOOK_PATH, ctx -> {
                ctx.bodyAsBytes();
                ctx.status(202).contentType("application/json").result("{\"status\":\"accepted\"}");
            });
        });
        app.start("127.0.0.1", port);
        return app;
    }

    /** {@code NoopServer [maxBodyBytes] [port] [core]}. */
    public static void main(String[] args) throws InterruptedException {
        long maxBody = args.length > 0 ? Long.parseLong(args[0]) : 1_048_576L;
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        boolean core = args.length > 2 && "core".equals(args[2]);
        Javalin app = start(maxBody, port, core);
        Runtime.getRuntime().addShutdownHook(new Thread(app::stop, "noop-server-shutdown"));
        System.out.println(READY_PREFIX + app.port());
        System.out.flush();
        new CountDownLatch(1).await();
    }

    /** POST on the webhook path: the body read with Jetty's content API, then 202. */
    private static final class CoreRoute extends Handler.Wrapper {
        private static final byte[] ACCEPTED = "{\"status\":\"accepted\"}".getBytes(StandardCharsets.UTF_8);
        private final int maxBodyBytes;

        CoreRoute(long maxBodyBytes) {
            this.maxBodyBytes = (int) Math.min(maxBodyBytes, Integer.MAX_VALUE - 8);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            if (!"POST".equals(request.getMethod()) || !WEBHOOK_PATH.equals(Request.getPathInContext(request))) {
                return super.handle(request, response, callback);
            }
            Content.Source.asByteArrayAsync(request, maxBodyBytes).whenComplete((body, failure) -> {
                if (failure != null) {
                    Response.writeError(request, response, callback, 400);
                    return;
                }
                response.setStatus(202);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(ACCEPTED), callback);
            });
            return true;
        }
    }
}
