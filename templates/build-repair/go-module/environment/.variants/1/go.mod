module acme.test/shipping

go 1.19

require acme.test/units v1.4.0

replace acme.test/units => ./third_party/units
