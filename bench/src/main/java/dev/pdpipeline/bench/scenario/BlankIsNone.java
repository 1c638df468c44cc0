package dev.pdpipeline.bench.scenario;

import java.util.List;
import java.util.Objects;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A number in a comma-separated list option where an empty value means "none" ({@code --rates ""}
 * turns the fixed-rate runs off). picocli splits an empty value into one empty element, which a
 * plain {@code Double} option refuses; this converter makes it null, and {@link #present} drops it.
 */
final class BlankIsNone implements ITypeConverter<Double> {

    @Override
    public Double convert(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Double.valueOf(value.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number");
        }
    }

    /** The values that were given, without the empty ones. */
    static List<Double> present(List<Double> values) {
        return values == null ? List.of() : values.stream().filter(Objects::nonNull).toList();
    }
}
