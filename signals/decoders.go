package signals

// wiring lists every decoder, in the order Decode asks them. Each
// Detect is strict enough that no two accept the same document; the
// order only decides which runs first. A new format is added here, and
// nowhere else.
var wiring = [...]Decoder{
	ocsfDecoder{},
	oktaDecoder{},
	cloudTrailDecoder{},
	guardDutyDecoder{},
	gitHubDecoder{},
	gitGuardianDecoder{},
	setDecoder{format: FormatCAEP},
	setDecoder{format: FormatRISC},
	graphRiskDecoder{},
	sentinelDecoder{},
	workspaceDecoder{},
	falcoDecoder{},
	wazuhDecoder{},
	splunkDecoder{},
	ecsDecoder{},
}

// Decoders returns the decoders Decode uses, in the order it asks them.
// The slice is a copy; changing it changes nothing in the package.
func Decoders() []Decoder {
	return append([]Decoder(nil), wiring[:]...)
}
