#ifndef FAKE_POOL_H
#define FAKE_POOL_H
#endif
