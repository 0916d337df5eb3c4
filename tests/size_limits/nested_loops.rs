// Written by expand/tests/size_limits.rs (`TAPELESS_BLESS=1 cargo test -p tapeless-expand`).
#[differentiable]
fn nested_loops(x: f64) -> f64 {
    let mut s = x;
    for _i0 in 0..1 {
     for _i1 in 0..1 {
      for _i2 in 0..1 {
       for _i3 in 0..1 {
        for _i4 in 0..1 {
         for _i5 in 0..1 {
          for _i6 in 0..1 {
           for _i7 in 0..1 {
            for _i8 in 0..1 {
             for _i9 in 0..1 {
              for _i10 in 0..1 {
               for _i11 in 0..1 {
                for _i12 in 0..1 {
                 for _i13 in 0..1 {
                  for _i14 in 0..1 {
                   for _i15 in 0..1 {
                    for _i16 in 0..1 {
                     for _i17 in 0..1 {
                      for _i18 in 0..1 {
                       for _i19 in 0..1 {
                        for _i20 in 0..1 {
                         for _i21 in 0..1 {
                          for _i22 in 0..1 {
                           for _i23 in 0..1 {
                            for _i24 in 0..1 {
                             for _i25 in 0..1 {
                              for _i26 in 0..1 {
                               for _i27 in 0..1 {
                                for _i28 in 0..1 {
                                 for _i29 in 0..1 {
                                  for _i30 in 0..1 {
                                   for _i31 in 0..1 {
                                    for _i32 in 0..1 {
                                     for _i33 in 0..1 {
                                      for _i34 in 0..1 {
                                       for _i35 in 0..1 {
                                        for _i36 in 0..1 {
                                         for _i37 in 0..1 {
                                          for _i38 in 0..1 {
                                           for _i39 in 0..1 {
                                            for _i40 in 0..1 {
                                            for _i41 in 0..1 {
                                            for _i42 in 0..1 {
                                            for _i43 in 0..1 {
                                            for _i44 in 0..1 {
                                            for _i45 in 0..1 {
                                            for _i46 in 0..1 {
                                            for _i47 in 0..1 {
                                            for _i48 in 0..1 {
                                            for _i49 in 0..1 {
                                            for _i50 in 0..1 {
                                            for _i51 in 0..1 {
                                            for _i52 in 0..1 {
                                            for _i53 in 0..1 {
                                            for _i54 in 0..1 {
                                            for _i55 in 0..1 {
                                            for _i56 in 0..1 {
                                            for _i57 in 0..1 {
                                            for _i58 in 0..1 {
                                            for _i59 in 0..1 {
                                            for _i60 in 0..1 {
                                            for _i61 in 0..1 {
                                            for _i62 in 0..1 {
                                            for _i63 in 0..1 {
                                            for _i64 in 0..1 {
                                            for _i65 in 0..1 {
                                            for _i66 in 0..1 {
                                            for _i67 in 0..1 {
                                            for _i68 in 0..1 {
                                            for _i69 in 0..1 {
                                            for _i70 in 0..1 {
                                            for _i71 in 0..1 {
                                            for _i72 in 0..1 {
                                            for _i73 in 0..1 {
                                            for _i74 in 0..1 {
                                            for _i75 in 0..1 {
                                            for _i76 in 0..1 {
                                            for _i77 in 0..1 {
                                            for _i78 in 0..1 {
                                            for _i79 in 0..1 {
                                            for _i80 in 0..1 {
                                            for _i81 in 0..1 {
                                            for _i82 in 0..1 {
                                            for _i83 in 0..1 {
                                            for _i84 in 0..1 {
                                            for _i85 in 0..1 {
                                            for _i86 in 0..1 {
                                            for _i87 in 0..1 {
                                            for _i88 in 0..1 {
                                            for _i89 in 0..1 {
                                            for _i90 in 0..1 {
                                            for _i91 in 0..1 {
                                            for _i92 in 0..1 {
                                            for _i93 in 0..1 {
                                            for _i94 in 0..1 {
                                            for _i95 in 0..1 {
                                            for _i96 in 0..1 {
                                            for _i97 in 0..1 {
                                            for _i98 in 0..1 {
                                            for _i99 in 0..1 {
                                            s = s * x + 1.0;
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                            }
                                           }
                                          }
                                         }
                                        }
                                       }
                                      }
                                     }
                                    }
                                   }
                                  }
                                 }
                                }
                               }
                              }
                             }
                            }
                           }
                          }
                         }
                        }
                       }
                      }
                     }
                    }
                   }
                  }
                 }
                }
               }
              }
             }
            }
           }
          }
         }
        }
       }
      }
     }
    }
    s
}
