/*
 * ABI 1.0, checked at compile time (abi_check.h says how): against the current header, so a
 * change to what 1.0 released fails the build, and against tests/abi/v1_0, so the expected
 * numbers in layout_v1_0.h are proven. Nothing here runs.
 */
#include <berth/plugin.h>

#include "abi_check.h"
#include "layout_v1_0.h"

BERTH_ABI_CHECK_MAJOR_1(0)
BERTH_ABI_V1_0_FIELDS(BERTH_ABI_FIRST, BERTH_ABI_NEXT)
BERTH_ABI_V1_0_SIZES(BERTH_ABI_SIZE)
BERTH_ABI_V1_0_CONSTANTS(BERTH_ABI_VALUE, BERTH_ABI_STRING)
