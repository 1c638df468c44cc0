package dev.pdpipeline.bench.process;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * {@code ParentWatch <main class> [args]}: runs that main class, and exits the JVM (shutdown hooks
 * included, so the part closes cleanly) when standard input ends, i.e. when the benchmark that
 * started this JVM closes it or dies. Uses nothing but the JDK, so it can wrap any main.
 */
public final class ParentWatch {

    private ParentWatch() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("usage: ParentWatch <main class> [args...]");
            System.exit(2);
        }
        Thread watch = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent never writes; end of input means it is done with us, or gone
                }
            } catch (IOException e) {
                // the pipe broke: the parent is gone
            }
            System.exit(0);
        }, "parent-watch");
        watch.setDaemon(true);
        watch.start();
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
