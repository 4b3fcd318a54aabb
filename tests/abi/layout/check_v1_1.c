/*
 * ABI 1.1, checked at compile time (abi_check.h says how): against the current header, so a
 * change to what 1.1 released fails the build, and against tests/abi/v1_1, so the expected
 * numbers in layout_v1_1.h are proven. Nothing here runs.
 */
#include <berth/plugin.h>

#include "abi_check.h"
#include "layout_v1_1.h"

BERTH_ABI_CHECK_MAJOR_1(1)
BERTH_ABI_V1_1_FIELDS(BERTH_ABI_FIRST, BERTH_ABI_NEXT)
BERTH_ABI_V1_1_SIZES(BERTH_ABI_SIZE)
BERTH_ABI_V1_1_CONSTANTS(BERTH_ABI_VALUE, BERTH_ABI_STRING)
