module acme.test/units

go 1.18
