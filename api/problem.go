package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/killswitch-dev/killswitch/store"
)

// problemType is the prefix of every problem's type URI.
const problemType = "urn:killswitch:problem:"

// codeStatus is the HTTP status of each problem code.
var codeStatus = map[ProblemCode]int{
	ProblemCodeUnauthenticated:  http.StatusUnauthorized,
	ProblemCodeTokenExpired:     http.StatusUnauthorized,
	ProblemCodeTokenRevoked:     http.StatusUnauthorized,
	ProblemCodeRateLimited:      http.StatusTooManyRequests,
	ProblemCodeForbidden:        http.StatusForbidden,
	ProblemCodeInvalidParameter: http.StatusBadRequest,
	ProblemCodeInvalidBody:      http.StatusBadRequest,
	ProblemCodeNotFound:         http.StatusNotFound,
	ProblemCodeMethodNotAllowed: http.StatusMethodNotAllowed,
	ProblemCodeConflict:         http.StatusConflict,
	ProblemCodeTooLarge:         http.StatusRequestEntityTooLarge,
	ProblemCodeInvalidAlert:     http.StatusUnprocessableEntity,
	ProblemCodeUnavailable:      http.StatusServiceUnavailable,
	ProblemCodeInternal:         http.StatusInternalServerError,
}

// Error makes a Problem an error, so handlers can return one.
func (p *Problem) Error() string {
	if p.Parameter != "" {
		return fmt.Sprintf("%s: %s %q: %s", p.Code, p.Parameter, p.Value,
			p.Detail)
	}
	return fmt.Sprintf("%s: %s", p.Code, p.Detail)
}

// problem is a problem document with that code and detail.
func problem(code ProblemCode, detail string) *Problem {
	status := codeStatus[code]
	return &Problem{Type: problemType + string(code),
		Title: http.StatusText(status), Status: status, Code: code,
		Detail: detail}
}

// badParam is an invalid_parameter problem naming the parameter and the
// value it had.
func badParam(param, value, reason string) *Problem {
	p := problem(ProblemCodeInvalidParameter, reason)
	p.Parameter, p.Value = param, value
	return p
}

// writeProblem writes p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// asProblem turns a handler's error into a problem: a *Problem as it
// is, a store error by its kind, anything else an internal error that
// is logged and not shown (it may name things a caller should not see).
func asProblem(err error, log *slog.Logger, r *http.Request) *Problem {
	var p *Problem
	var fe *FieldError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &fe):
		p = problem(ProblemCodeInvalidBody, fe.Reason)
		p.Parameter, p.Value = fe.Field, fe.Value
		return p
	case errors.Is(err, store.ErrNotFound):
		return problem(ProblemCodeNotFound, "no such record")
	case errors.Is(err, store.ErrConflict):
		return problem(ProblemCodeConflict, "the record exists already")
	}
	log.Error("api request failed", "method", r.Method,
		"path", r.URL.Path, "err", err)
	return problem(ProblemCodeInternal, "the server failed; see its log")
}

// paramProblem turns a parameter binding error of the generated router
// into an invalid_parameter problem naming the parameter and its value.
func paramProblem(r *http.Request, err error) *Problem {
	var (
		format *InvalidParamFormatError
		req    *RequiredParamError
		many   *TooManyValuesForParamError
	)
	switch {
	case errors.As(err, &format):
		return badParam(format.ParamName, paramValue(r, format.ParamName),
			"not the type it must be")
	case errors.As(err, &req):
		return badParam(req.ParamName, "", "required")
	case errors.As(err, &many):
		return badParam(many.ParamName,
			r.URL.Query().Get(many.ParamName), "given more than once")
	}
	return problem(ProblemCodeInvalidParameter, err.Error())
}

// paramValue is the value of a query or path parameter.
func paramValue(r *http.Request, name string) string {
	if v := r.URL.Query().Get(name); v != "" {
		return v
	}
	return r.PathValue(name)
}
