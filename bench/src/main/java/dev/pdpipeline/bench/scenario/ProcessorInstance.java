package dev.pdpipeline.bench.scenario;

import dev.pdpipeline.processor.ProcessorConfig;
import dev.pdpipeline.processor.ProcessorService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;

/**
 * One processor instance in a JVM of its own, for the scale-out benchmark (so that each instance's
 * memory can be measured as a process). Configured by the environment like the real processor;
 * stops cleanly, committing and flushing its state, when its standard input closes.
 */
public final class ProcessorInstance {

    private ProcessorInstance() {
    }

    public static void main(String[] args) throws IOException {
        ProcessorService service = ProcessorService.start(ProcessorConfig.fromEnv(System.getenv()),
                new SimpleMeterRegistry());
        System.out.println("STARTED");
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) {
            // the parent closes stdin to stop us
        }
        service.close();
        System.out.println("STOPPED");
        System.out.flush();
        System.exit(0);
    }
}
