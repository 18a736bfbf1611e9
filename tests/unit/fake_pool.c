/* placeholder: fake rte_mempool for unit tests */
