package dev.pdpipeline.launcher.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Lets an appender of logback.xml write only when it is the one {@code LOG_FORMAT} selects, so
 * both the text and the JSON appender can stay attached (logback has no conditionals without an
 * extra scripting library).
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {

    private String format;
    private String selected;

    /** The format this appender writes ({@code text} or {@code json}). */
    public void setFormat(String format) {
        this.format = format;
    }

    /** The format LOG_FORMAT selects. */
    public void setSelected(String selected) {
        this.selected = selected;
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        String chosen = selected == null || selected.isBlank() ? "text" : selected.trim();
        return chosen.equals(format) ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
