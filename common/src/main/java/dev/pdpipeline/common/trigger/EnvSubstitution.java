package dev.pdpipeline.common.trigger;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * <code>${VAR}</code> / <code>${VAR:-default}</code> substitution in one string value, <code>$${</code>
 * for a literal <code>${</code>. Values are inserted verbatim (never re-scanned), so a variable's value
 * that contains <code>${</code> cannot cause further lookups.
 */
final class EnvSubstitution {

    private static final Pattern VAR_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** Why a value could not be substituted; the message names variables, never values. */
    static final class Failure extends Exception {
        Failure(String problem) {
            super(problem, null, false, false);
        }
    }

    private EnvSubstitution() {
    }

    static String apply(String value, Map<String, String> env) throws Failure {
        if (value.indexOf('$') < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        int i = 0;
        while (i < value.length()) {
            if (value.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (value.startsWith("${", i)) {
                int close = value.indexOf('}', i + 2);
                if (close < 0) {
                    throw new Failure("unterminated '${' (write '$${' for a literal '${')");
                }
                String expression = value.substring(i + 2, close);
                int separator = expression.indexOf(":-");
                String variable = separator < 0 ? expression : expression.substring(0, separator);
                String fallback = separator < 0 ? null : expression.substring(separator + 2);
                if (!VAR_NAME.matcher(variable).matches()) {
                    // the text is not echoed: it may be part of a secret that happens to contain '${'
                    throw new Failure("invalid variable reference: use ${NAME} or ${NAME:-default} with NAME made of"
                            + " letters, digits and '_' (write '$${' for a literal '${')");
                }
                String resolved = env.get(variable);
                if (resolved == null || (fallback != null && resolved.isEmpty())) {
                    if (fallback == null) {
                        throw new Failure("environment variable " + variable + " is not set"
                                + " (write ${" + variable + ":-default} to give a default)");
                    }
                    resolved = fallback;
                }
                out.append(resolved);
                i = close + 1;
            } else {
                out.append(value.charAt(i));
                i++;
            }
        }
        return out.toString();
    }
}
