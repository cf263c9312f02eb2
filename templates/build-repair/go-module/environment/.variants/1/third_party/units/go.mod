module acme.test/unit

go 1.18
