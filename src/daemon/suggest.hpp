// Suggested fixes: when an incident opens and a resolved ticket like it was
// resolved by a person saying how, the new ticket's timeline gets a
// "suggestion" entry naming that ticket and its resolution, in the same
// transaction as the ticket. Runs on the pipeline worker; reads the store.
#pragma once

#include <optional>
#include <vector>

#include "ticketd/core/actions.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::daemon {

// The entry for `opened` from the store's similar tickets (best first), or
// none when no candidate is strong: the same fingerprint, or the same rule
// and a text match, resolved with a note (not by ticketd itself).
std::optional<TimelineEntry> suggestion_for(const Ticket& opened,
                                            const std::vector<store::SimilarTicket>& similar);

// Appends a suggestion for each incident the batch opens. Store errors
// only cost the suggestion (logged at debug level).
void add_suggestions(store::Store& store, std::vector<Action>& actions);

}  // namespace ticketd::daemon
