package dev.pdpipeline.console.index;

/**
 * Filters of the deliveries list; null or blank means no filter.
 *
 * @param service service id or name (name ignoring case)
 * @param outcome a recorded outcome or a summary ({@code filtered}, {@code duplicate}, ...)
 */
public record DeliveryFilter(String service, String trigger, String agent, String outcome) {

    public static final DeliveryFilter NONE = new DeliveryFilter(null, null, null, null);

    public DeliveryFilter {
        service = blankToNull(service);
        trigger = blankToNull(trigger);
        agent = blankToNull(agent);
        outcome = blankToNull(outcome);
    }

    boolean matches(Delivery d) {
        if (service != null && !(service.equals(d.serviceId()) || service.equalsIgnoreCase(d.serviceName()))) {
            return false;
        }
        if (trigger != null && !d.mentionsTrigger(trigger)) {
            return false;
        }
        if (agent != null && !d.agents().contains(agent)) {
            return false;
        }
        return outcome == null || outcome.equals(d.outcome()) || outcome.equals(d.summary());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
