# The verbs layer's sources, for the library target that joins verbs and transport.
file(GLOB UROCE_VERBS_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.c)
