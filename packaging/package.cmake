# The trailsight .deb: install() rules and the CPack DEB generator's settings. Included from
# the top CMakeLists.txt after the targets exist; scripts/package runs cpack with them.
#
# What the package holds (packaging/README.md says why):
#   /usr/bin/trailsight                                   the executable
#   /lib/systemd/system/trailsight.service                the unit
#   /usr/lib/sysusers.d/trailsight.conf                   the trailsight system user
#   /etc/trailsight/trailsight.yaml                       the config (a conffile)
#   /usr/share/trailsight/prometheus/trailsight-alerts.yml alert rules on the /metrics names
#   /usr/share/trailsight/grafana/trailsight-dashboard.json a dashboard of the same
#   /usr/share/doc/trailsight/                            operations.md, config.md and the
#                                                         documented example config
include(GNUInstallDirs)

set(TRAILSIGHT_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

# `cmake --install` and cpack install what is built; they do not build every test and
# benchmark first (scripts/package builds the executable it needs).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS trailsight RUNTIME DESTINATION bin)
# Debian 12 keeps packaged units in /lib/systemd/system (merged /usr makes it the same place).
install(FILES ${TRAILSIGHT_PACKAGING_DIR}/trailsight.service DESTINATION /lib/systemd/system)
install(FILES ${TRAILSIGHT_PACKAGING_DIR}/trailsight.sysusers DESTINATION lib/sysusers.d
        RENAME trailsight.conf)
# Readable by root alone as unpacked; postinst gives the trailsight group read access with a
# dpkg-statoverride, as the file may hold secrets.
install(FILES ${TRAILSIGHT_PACKAGING_DIR}/trailsight.yaml DESTINATION /etc/trailsight
        PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES ${TRAILSIGHT_PACKAGING_DIR}/prometheus/trailsight-alerts.yml
        DESTINATION share/trailsight/prometheus)
install(FILES ${TRAILSIGHT_PACKAGING_DIR}/grafana/trailsight-dashboard.json
        DESTINATION share/trailsight/grafana)
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/config.md
        DESTINATION share/doc/trailsight)
install(FILES ${PROJECT_SOURCE_DIR}/config/trailsight.yaml
        DESTINATION share/doc/trailsight/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME trailsight)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "trailsight developers <dev@trailsight.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "self-hosted CloudTrail Insights: API call and error rate anomalies from Kafka")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "trailsight learns per-API baselines of CloudTrail call and error rates and publishes "
       "AWS Insights records, field for field, to Kafka the moment activity leaves its "
       "baseline; tamper and novelty alerts go out as OCSF. The package runs it as the "
       "systemd service trailsight.service.")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # trailsight_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps (librdkafka, yaml-cpp, mimalloc, ...);
# passwd brings useradd for hosts without systemd-sysusers, procps the unit's /bin/kill.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, procps")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${TRAILSIGHT_PACKAGING_DIR}/debian/conffiles ${TRAILSIGHT_PACKAGING_DIR}/debian/postinst
    ${TRAILSIGHT_PACKAGING_DIR}/debian/prerm ${TRAILSIGHT_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only the package: no source tarball, no other generator's settings.
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
