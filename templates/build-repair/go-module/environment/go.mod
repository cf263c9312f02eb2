module acme.test/shipcalc

go 1.19

require acme.test/units v1.3.0

replace acme.test/units => ./third_party/units
