# Run by `cmake --install` and cpack (install(SCRIPT) in cmake/packaging.cmake,
# which sets ticketd_*): installs what goes outside the prefix on a system
# install, with paths taken from the prefix given at install time, so one
# build tree installs under /usr/local (cmake --install), /usr (the package)
# or a staging prefix alike.
#   /usr, /usr/local: config in /etc/ticketd, unit in the system's unit directory
#   any other prefix P: P/etc/ticketd and P/lib/systemd/system
# The config and rule files never replace existing ones (an operator's edits).
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr" OR prefix STREQUAL "/usr/local")
  set(confdir /etc/ticketd)
else()
  set(confdir "${prefix}/etc/ticketd")
endif()
if(prefix STREQUAL "/usr")
  set(unitdir "${ticketd_usr_unit_dir}")
else()
  set(unitdir "${prefix}/lib/systemd/system")
endif()

function(ticketd_install_config source dir)
  get_filename_component(name "${source}" NAME)
  if(ARGC GREATER 2)
    set(name "${ARGV2}")
  endif()
  if(EXISTS "$ENV{DESTDIR}${dir}/${name}")
    message(STATUS "Keeping: $ENV{DESTDIR}${dir}/${name} (not replaced by ${source})")
  else()
    file(INSTALL DESTINATION "${dir}" TYPE FILE RENAME "${name}" FILES "${source}")
  endif()
endfunction()

ticketd_install_config("${ticketd_source_dir}/systemd/ticketd.default.yaml" "${confdir}" ticketd.yaml)
foreach(rule ${ticketd_rule_files})
  ticketd_install_config("${rule}" "${confdir}/rules")
endforeach()

# The unit as shipped runs /usr/local/bin/ticketd --config /etc/ticketd/...;
# its comments stay as they are.
file(READ "${ticketd_source_dir}/systemd/ticketd.service" unit)
string(REGEX REPLACE "(\nExec[A-Za-z]*=[-@:+!]*)/usr/local/bin/" "\\1${prefix}/${ticketd_bindir}/" unit "${unit}")
string(REPLACE " --config /etc/ticketd/" " --config ${confdir}/" unit "${unit}")
string(REPLACE "\nDocumentation=file:/usr/share/doc/ticketd/" "\nDocumentation=file:${prefix}/${ticketd_docdir}/" unit "${unit}")
file(WRITE "${ticketd_binary_dir}/installed/ticketd.service" "${unit}")
file(INSTALL DESTINATION "${unitdir}" TYPE FILE FILES "${ticketd_binary_dir}/installed/ticketd.service")
