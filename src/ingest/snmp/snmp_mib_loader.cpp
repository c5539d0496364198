// SnmpNames::load(): MIB files parsed by net-snmp's library. The only file of
// ticketd that uses libnetsnmp (linked PRIVATE to ticketd_ingest), so
// everything else, the fuzz targets included, builds without it.
// net-snmp's headers need its config and types first (kept unsorted).
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/types.h>
#include <net-snmp/library/callback.h>
#include <net-snmp/library/default_store.h>
#include <net-snmp/library/mib.h>
#include <net-snmp/library/parse.h>
#include <net-snmp/library/snmp_logging.h>
// clang-format on

#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "ticketd/ingest/snmp_names.hpp"

namespace ticketd::ingest {
namespace {

constexpr size_t kMaxWarnings = 100;

// net-snmp types (parse.h): data types of OBJECT-TYPEs, then the macros.
SnmpNames::Kind kind_of(int type, bool* keep) {
  *keep = true;
  if (type >= TYPE_OBJID && type <= TYPE_SIMPLE_LAST) return SnmpNames::Kind::kObject;
  if (type == TYPE_TRAPTYPE || type == TYPE_NOTIFTYPE) return SnmpNames::Kind::kNotification;
  if (type == TYPE_OTHER || type == TYPE_OBJIDENTITY || type == TYPE_MODID)
    return SnmpNames::Kind::kNode;
  *keep = false;  // groups, compliance statements, agent capabilities
  return SnmpNames::Kind::kNode;
}

int log_to_warnings(int /*major*/, int /*minor*/, void* server_arg, void* client_arg) {
  auto* warnings = static_cast<std::vector<std::string>*>(client_arg);
  const auto* m = static_cast<const snmp_log_message*>(server_arg);
  if (warnings == nullptr || m == nullptr || m->msg == nullptr || warnings->size() >= kMaxWarnings)
    return 0;
  std::string text = m->msg;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  // Not about the configured files: the search path, and net-snmp's default
  // module list (SNMPv2-MIB, IF-MIB, ...) that Debian does not ship.
  if (text.rfind("MIB search path", 0) == 0 ||
      text.find("At line 1 in (none)") != std::string::npos)
    return 0;
  if (!text.empty()) warnings->push_back("snmp: MIB: " + text);
  return 0;
}

}  // namespace

Result<std::shared_ptr<const SnmpNames>> SnmpNames::load(const std::vector<std::string>& dirs,
                                                         std::vector<std::string>* warnings) {
  std::string path;
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(d, ec)) {
      return Status::invalid_argument("snmp: MIB directory \"" + d + "\": " +
                                      (ec ? ec.message() : std::string("not a directory")));
    }
    if (d.find(':') != std::string::npos) {
      return Status::invalid_argument("snmp: MIB directory \"" + d +
                                      "\": a ':' in the path is not supported");
    }
    if (!path.empty()) path += ':';
    path += d;
  }
  if (path.empty()) return builtin();

  auto names = std::make_shared<SnmpNames>(*builtin());

  // net-snmp's parser is process-wide state.
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::vector<std::string> local_warnings;
  snmp_disable_stderrlog();
  snmp_enable_calllog();
  snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_to_warnings,
                         &local_warnings);
  netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 1);
  netsnmp_set_mib_directory(path.c_str());
  netsnmp_init_mib();
  read_all_mibs();

  // Depth-first over the tree, with the OID of each node.
  struct Frame {
    tree* node;
    size_t depth;
  };
  std::vector<Frame> stack;
  for (tree* t = get_tree_head(); t != nullptr; t = t->next_peer) stack.push_back({t, 0});
  SnmpOid oid;
  char module[256];
  while (!stack.empty()) {
    const Frame f = stack.back();
    stack.pop_back();
    oid.resize(f.depth);
    oid.push_back(static_cast<uint32_t>(f.node->subid));
    bool keep = false;
    const Kind kind = kind_of(f.node->type, &keep);
    if (keep && f.node->label != nullptr && f.node->label[0] != '\0' && oid.size() <= 128) {
      Entry e;
      e.module = module_name(f.node->modid, module);
      e.name = f.node->label;
      e.kind = kind;
      for (const enum_list* en = f.node->enums; en != nullptr; en = en->next) {
        if (en->label != nullptr) e.enums.emplace_back(en->value, en->label);
      }
      names->add(oid, std::move(e));
    }
    for (tree* c = f.node->child_list; c != nullptr; c = c->next_peer)
      stack.push_back({c, f.depth + 1});
  }

  shutdown_mib();
  snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_to_warnings,
                           &local_warnings, 1);
  if (warnings != nullptr) {
    for (std::string& w : local_warnings) warnings->push_back(std::move(w));
  }
  return std::shared_ptr<const SnmpNames>(std::move(names));
}

}  // namespace ticketd::ingest
