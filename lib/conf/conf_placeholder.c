#include "fo_conf.h"
