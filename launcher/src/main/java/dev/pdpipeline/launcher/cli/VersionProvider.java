package dev.pdpipeline.launcher.cli;

import picocli.CommandLine;

/** Version from the jar manifest, so {@code --version} never drifts from the build. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"pipeline " + (version == null ? "development build" : version),
            "Java " + System.getProperty("java.version")};
    }
}
