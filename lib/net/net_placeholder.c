#include "fo_net.h"
