// The engine's view of the action vocabulary (ticketd/core/actions.hpp):
// the same types under ticketd::engine, plus what only the engine knows how
// to build or show.
#pragma once

#include <nlohmann/json.hpp>

#include "ticketd/core/actions.hpp"
#include "ticketd/engine/silence.hpp"

namespace ticketd::engine {

using ticketd::Action;
using ticketd::Actions;
using ticketd::Decision;
using ticketd::decision_name;
using ticketd::EventRecorded;
using ticketd::Notify;
using ticketd::OutboxQueued;
using ticketd::ProblemLinked;
using ticketd::SilenceSaved;
using ticketd::StateChanged;
using ticketd::StateRecord;
using ticketd::TicketOpened;
using ticketd::TicketUpdated;
using ticketd::TimelineAdded;

// The action that stores `s` (its JSON document, as silence_to_json writes it).
SilenceSaved silence_saved(const Silence& s);
// The silence a SilenceSaved carries (its document read back).
Result<Silence> saved_silence(const SilenceSaved& saved);

nlohmann::json action_to_json(const Action& a);

}  // namespace ticketd::engine
