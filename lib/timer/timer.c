#include "fo_timer.h"
