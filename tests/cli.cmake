# Command-line contracts (exit codes, messages, repro, JUnit, report).
add_test(NAME cli.contracts
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/cli_test.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/cli-test)
# iosim compare: alignment, statistics, tolerances and exit codes, the page
# (tests/scripts/compare_test.sh).
add_test(NAME cli.compare
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/compare_test.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/compare-test)
add_test(NAME cli.readme_examples
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/readme_test.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/readme-test)
# The HTML report in headless Chromium: no console errors, every chart drawn
# with data, hostile strings escaped (tests/scripts/report_browser_test.sh).
add_test(NAME cli.report_browser
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/report_browser_test.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/report-browser-test)
# `iosim export`: a storage run as pcap read by tshark (mass storage and
# SCSI decoded, no malformed packet) and round-tripped through `iosim
# import`; as Perfetto JSON parsed by python3 (tests/scripts/export_test.sh).
add_test(NAME cli.export
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/export_test.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/export-test)
# The real captures against the scenarios that replay them on their
# calibrated profiles: regenerated and diffed, run, compared with
# tolerances (tests/scripts/capture_compare_test.sh).
add_test(NAME captures.compare
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/capture_compare_test.sh $<TARGET_FILE:iosim>
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/captures-test)
